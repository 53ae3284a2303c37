// Instant feedback for the self-check questions that coursekit.selfcheck puts at
// the end of each chapter. Plain form controls carry the answers in data-
// attributes; this file only compares and writes the feedback (no library, no
// network). The explanations are HTML that the book's build escaped already.
document.addEventListener("DOMContentLoaded", () => {
  const say = (question, right, detail) => {
    const feedback = question.querySelector(".sc-feedback");
    question.classList.toggle("sc-right", right);
    question.classList.toggle("sc-wrong", !right);
    feedback.innerHTML = (right ? "<strong>Correct.</strong> " : "<strong>Not quite.</strong> ")
      + (detail || "");
  };

  for (const question of document.querySelectorAll(".sc-choice")) {
    question.addEventListener("change", (event) => {
      const chosen = event.target;
      const right = chosen.dataset.correct === "1";
      say(question, right, right ? question.dataset.explain
        : (chosen.dataset.hint || "Read the options again and try another one."));
    });
  }

  // Accepts 1,234.5 and 1234.5 and 1.2e3 and a trailing % sign.
  const parse = (text) => {
    const cleaned = text.trim().replace(/[,\s]/g, "").replace(/%$/, "").replace(/\u2212/g, "-");
    return cleaned === "" ? NaN : Number(cleaned);
  };
  for (const question of document.querySelectorAll(".sc-numeric")) {
    const input = question.querySelector("input");
    const check = () => {
      const value = parse(input.value);
      if (Number.isNaN(value)) {
        say(question, false, "Type a number, for example 12 or 0.25.");
        return;
      }
      const answer = Number(question.dataset.answer);
      const tolerance = Number(question.dataset.tolerance);
      const right = Math.abs(value - answer) <= tolerance * Math.max(Math.abs(answer), 1);
      say(question, right, right
        ? `The chapter's code computes ${question.dataset.shown}. ${question.dataset.explain}`
        : (value > answer ? "Your number is too large." : "Your number is too small."));
    };
    question.querySelector("button").addEventListener("click", check);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") check();
    });
  }
});
