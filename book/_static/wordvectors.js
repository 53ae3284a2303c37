// The word-vector explorer of "A small model end to end": every word's 2-number
// vector at each epoch of the chapter's own training, recorded by the page build
// (coursekit.selfcheck.word_vector_explorer puts them in a JSON script element).
// Plain SVG, no library, no network. Hover or focus a point for its word; the
// slider (or Play) steps through the epochs; the wheel, the buttons or a drag
// zoom and pan. Printed pages and readers without JavaScript get the static figure.
document.addEventListener("DOMContentLoaded", () => {
  const NS = "http://www.w3.org/2000/svg";
  const W = 600, H = 420, PAD = 24;
  const KIND = { pos: "only in positive sentences", neg: "only in negative sentences",
                 both: "in both" };
  const make = (tag, attrs = {}, ns = null) => {
    const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    return el;
  };

  document.querySelectorAll("figure.wordvec").forEach((figure, n) => {
    const data = JSON.parse(figure.querySelector(".wordvec-data").textContent);
    const last = data.frames.length - 1;
    figure.querySelector(".wordvec-nojs")?.remove();

    // Controls: epoch slider, play, zoom buttons, fit-to-epoch switch.
    const controls = make("div", { class: "wv-controls" });
    const sliderId = `wv-epoch-${n}`;
    const sliderLabel = make("label", { for: sliderId });
    sliderLabel.textContent = "Epoch";
    const slider = make("input", { id: sliderId, type: "range", min: 0, max: last, step: 1,
                                   value: last, class: "wv-slider" });
    const status = make("output", { for: sliderId, class: "wv-status", "aria-live": "polite" });
    const button = (text) => {
      const b = make("button", { type: "button" });
      b.textContent = text;
      controls.append(b);
      return b;
    };
    controls.append(sliderLabel, slider, status);
    const play = button("Play");
    const zoomIn = button("Zoom in");
    const zoomOut = button("Zoom out");
    const reset = button("Reset view");
    const fitLabel = make("label");
    const fit = make("input", { type: "checkbox", class: "wv-fit" });
    fitLabel.append(fit, " Fit the view to each epoch");
    controls.append(fitLabel);

    const plot = make("div", { class: "wv-plot" });
    const svg = make("svg", { viewBox: `0 0 ${W} ${H}`, role: "group",
                              "aria-label": figure.getAttribute("aria-label") }, NS);
    const xAxis = make("line", { class: "wv-axis" }, NS);
    const yAxis = make("line", { class: "wv-axis" }, NS);
    const kernel = make("line", { class: "wv-kernel", "marker-end": `url(#wv-head-${n})` }, NS);
    const defs = make("defs", {}, NS);
    const marker = make("marker", { id: `wv-head-${n}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
                                    markerWidth: 6, markerHeight: 6, orient: "auto" }, NS);
    marker.append(make("path", { d: "M0,0 L10,5 L0,10 z", fill: "#1f5fa8" }, NS));
    defs.append(marker);
    svg.append(defs, xAxis, yAxis, kernel);
    const tip = make("div", { class: "wv-tip", hidden: "" });
    const points = data.words.map((word, i) => {
      const c = make("circle", { r: 5, class: `wv-${data.kinds[i]}`, tabindex: 0,
                                 "data-word": word }, NS);
      const title = make("title", {}, NS);
      title.textContent = `${word} (${KIND[data.kinds[i]]})`;
      c.append(title);
      svg.append(c);
      return c;
    });
    plot.append(svg, tip);
    const legend = make("p", { class: "wv-legend" });
    for (const [kind, text] of Object.entries(KIND)) {
      const item = make("span");
      item.append(make("span", { class: `wv-swatch wv-${kind}-bg` }), `${text}`);
      item.firstChild.style.background = { pos: "#1f7a1f", neg: "#c62828", both: "#6b6b6b" }[kind];
      legend.append(item);
    }
    const arrow = make("span");
    arrow.textContent = "blue arrow: the Dense kernel w";
    legend.append(arrow);
    figure.prepend(controls, plot, legend);

    // View: the data point at the centre and the pixels per unit.
    let epoch = last, view = null, timer = null;
    const extent = (frames) => {
      let m = 1e-6;
      for (const f of frames) for (const [x, y] of f) m = Math.max(m, Math.abs(x), Math.abs(y));
      return m;
    };
    const allExtent = extent(data.frames);
    const home = () => {
      const m = fit.checked ? extent([data.frames[epoch]]) : allExtent;
      return { cx: 0, cy: 0, scale: (Math.min(W, H) / 2 - PAD) / m };
    };
    const sx = (x) => W / 2 + (x - view.cx) * view.scale;
    const sy = (y) => H / 2 - (y - view.cy) * view.scale;

    const draw = () => {
      const frame = data.frames[epoch];
      xAxis.setAttribute("x1", 0); xAxis.setAttribute("x2", W);
      xAxis.setAttribute("y1", sy(0)); xAxis.setAttribute("y2", sy(0));
      yAxis.setAttribute("y1", 0); yAxis.setAttribute("y2", H);
      yAxis.setAttribute("x1", sx(0)); yAxis.setAttribute("x2", sx(0));
      frame.forEach(([x, y], i) => {
        points[i].setAttribute("cx", sx(x).toFixed(2));
        points[i].setAttribute("cy", sy(y).toFixed(2));
      });
      const [kx, ky] = data.kernels[epoch];
      const len = Math.hypot(kx, ky) || 1, reach = 0.6 * extent([frame]);
      kernel.setAttribute("x1", sx(0)); kernel.setAttribute("y1", sy(0));
      kernel.setAttribute("x2", sx(kx / len * reach)); kernel.setAttribute("y2", sy(ky / len * reach));
      status.textContent = epoch === 0 ? `before training (of ${last} epochs)`
        : `after epoch ${epoch} of ${last}`;
      tip.hidden = true;
    };
    const setEpoch = (value) => {
      epoch = Math.max(0, Math.min(last, value));
      slider.value = epoch;
      if (fit.checked) view = home();
      draw();
    };
    slider.addEventListener("input", () => setEpoch(Number(slider.value)));
    fit.addEventListener("change", () => { view = home(); draw(); });
    const zoom = (factor, px = W / 2, py = H / 2) => {
      const x = view.cx + (px - W / 2) / view.scale, y = view.cy - (py - H / 2) / view.scale;
      view.scale *= factor;
      view.cx = x - (px - W / 2) / view.scale;
      view.cy = y + (py - H / 2) / view.scale;
      draw();
    };
    zoomIn.addEventListener("click", () => zoom(1.5));
    zoomOut.addEventListener("click", () => zoom(1 / 1.5));
    reset.addEventListener("click", () => { view = home(); draw(); });
    play.addEventListener("click", () => {
      if (timer) {
        clearInterval(timer); timer = null; play.textContent = "Play";
        return;
      }
      if (epoch === last) setEpoch(0);
      play.textContent = "Pause";
      timer = setInterval(() => {
        setEpoch(epoch + 1);
        if (epoch === last) { clearInterval(timer); timer = null; play.textContent = "Play"; }
      }, 150);
    });

    // Pointer position in viewBox units.
    const local = (event) => {
      const box = svg.getBoundingClientRect();
      return [(event.clientX - box.left) * W / box.width, (event.clientY - box.top) * H / box.height];
    };
    svg.addEventListener("wheel", (event) => {
      event.preventDefault();
      zoom(event.deltaY < 0 ? 1.2 : 1 / 1.2, ...local(event));
    }, { passive: false });
    let drag = null;
    svg.addEventListener("pointerdown", (event) => {
      if (event.target.tagName === "circle") return;
      drag = local(event);
      svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const [px, py] = local(event);
      view.cx -= (px - drag[0]) / view.scale;
      view.cy += (py - drag[1]) / view.scale;
      drag = [px, py];
      draw();
    });
    svg.addEventListener("pointerup", () => { drag = null; });

    // The word of a point, on hover and on keyboard focus.
    const show = (event) => {
      const c = event.target, i = points.indexOf(c);
      if (i < 0) return;
      const [x, y] = data.frames[epoch][i];
      tip.textContent = `${data.words[i]}  (${x.toFixed(2)}, ${y.toFixed(2)})`;
      const box = svg.getBoundingClientRect(), k = box.width / W;
      tip.style.left = `${Number(c.getAttribute("cx")) * k + 8}px`;
      tip.style.top = `${Number(c.getAttribute("cy")) * k - 28}px`;
      tip.hidden = false;
    };
    const hide = () => { tip.hidden = true; };
    for (const c of points) {
      c.addEventListener("pointerenter", show);
      c.addEventListener("focus", show);
      c.addEventListener("pointerleave", hide);
      c.addEventListener("blur", hide);
    }

    view = home();
    draw();
  });
});
