// Accessibility fixes for controls that the theme (pydata-sphinx-theme, under
// sphinx-book-theme) and myst-nb render; no configuration of theirs changes
// them. Checked by the axe-core audit in tests/test_book.py.
document.addEventListener("DOMContentLoaded", () => {
  // The search buttons show "Search Ctrl+K" but carry aria-label="Search", so
  // their spoken name differs from what a speech-input user sees and says
  // (WCAG 2.5.3 Label in Name, axe "label-content-name-mismatch"). Without
  // the attribute the name is the visible text (or the title "Search" where
  // the small-screen variant shows only the icon).
  for (const button of document.querySelectorAll("button.search-button-field[aria-label]")) {
    button.removeAttribute("aria-label");
  }
  // The table of contents' expand/collapse toggles are <summary> elements
  // holding only an icon: no name for a screen reader (axe "summary-name").
  // Name each after the entry whose sections it shows.
  for (const summary of document.querySelectorAll("li.has-children > details > summary")) {
    if (summary.textContent.trim() || summary.hasAttribute("aria-label")) continue;
    const link = summary.closest("li").querySelector(":scope > a");
    const title = link ? link.textContent.trim() : "this entry";
    summary.setAttribute("aria-label", `Sections of ${title}`);
  }
  // myst-nb's toggles of hidden code cells show "Show code cell source" (or
  // "Hide ...") but are named "Toggle hidden content" (the same Label in Name
  // failure): without the attribute their name is the text they show.
  for (const summary of document.querySelectorAll("details.hide > summary[aria-label]")) {
    if (summary.textContent.trim()) summary.removeAttribute("aria-label");
  }
  // The colour-mode button is named "Color mode" but holds three icons with
  // titles (Light, Dark, System Settings) that Font Awesome turns into SVG
  // titles: the shown icon's title counts as the button's visible text and
  // is missing from its name (axe "label-content-name-mismatch"). The icons
  // are decoration inside a named button: hide them from assistive
  // technology, now and whenever Font Awesome replaces them.
  const hideIcons = (button) => {
    for (const icon of button.querySelectorAll("i, svg")) {
      icon.setAttribute("aria-hidden", "true");
      for (const name of ["title", "role", "aria-labelledby"]) icon.removeAttribute(name);
      icon.querySelector(":scope > title")?.remove();
    }
  };
  for (const button of document.querySelectorAll("button.theme-switch-button")) {
    hideIcons(button);
    new MutationObserver(() => hideIcons(button)).observe(button, { childList: true, subtree: true });
  }
});
