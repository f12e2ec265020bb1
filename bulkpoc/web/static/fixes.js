// Keyboard moves between the fix inputs of the failed-rows grid as in a spreadsheet: Up and
// Down go to the same column's input in the row above or below, Alt+Left and Alt+Right to
// the row's other failed cells. Without JavaScript the inputs are an ordinary form.
(function () {
  "use strict";
  var form = document.getElementById("fix-form");
  if (!form) {
    return;
  }
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input.fix-input"));

  function find(from, step, sameColumn) {
    var at = inputs.indexOf(from);
    for (var i = at + step; i >= 0 && i < inputs.length; i += step) {
      var other = inputs[i];
      var sameRow = other.dataset.row === from.dataset.row;
      if (sameColumn ? !sameRow && other.dataset.column === from.dataset.column : sameRow) {
        return other;
      }
      if (!sameColumn && !sameRow) {
        return null;
      }
    }
    return null;
  }

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("fix-input")) {
      return;
    }
    var next = null;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      next = find(input, event.key === "ArrowDown" ? 1 : -1, true);
    } else if (event.altKey && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      next = find(input, event.key === "ArrowRight" ? 1 : -1, false);
    }
    if (next) {
      event.preventDefault();
      next.focus();
      next.select();
    }
  });
})();
