// The fix inputs of the failed-rows grid. Keyboard moves between them as in a spreadsheet: Up
// and Down go to the same column's input in the row above or below, Alt+Left and Alt+Right to
// the row's other failed cells. Each change is kept as it is typed (in this tab's session
// storage, per batch), so changes made on one page of rows, or under one filter, are still
// there on the next, and Submit fixes sends them all. Without JavaScript the inputs are an
// ordinary form, and the page asks for a submit per page.
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

  var CELL = "cell:";
  var WAS = "was:";
  var key = "bulkpoc-fixes:" + form.getAttribute("action");
  var kept = {};
  try {
    kept = JSON.parse(window.sessionStorage.getItem(key) || "{}") || {};
  } catch (error) {
    kept = {};
  }

  function save() {
    try {
      window.sessionStorage.setItem(key, JSON.stringify(kept));
    } catch (error) {
      // Storage full or refused: the changes on this page are still in its form.
    }
  }

  function field(input) {
    return input.name.slice(CELL.length);
  }

  var shownValues = {};
  Array.prototype.forEach.call(form.elements, function (element) {
    if (element.name && element.name.indexOf(WAS) === 0) {
      shownValues[element.name.slice(WAS.length)] = element.value;
    }
  });

  function was(input) {
    var name = field(input);
    return Object.prototype.hasOwnProperty.call(shownValues, name)
      ? shownValues[name]
      : input.defaultValue;
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }

  // Changes kept from before: back into their inputs on this page, the rest sent as hidden.
  var here = {};
  inputs.forEach(function (input) {
    here[field(input)] = input;
  });
  var elsewhere = 0;
  Object.keys(kept).forEach(function (name) {
    if (here[name]) {
      here[name].value = kept[name].value;
    } else {
      hidden(CELL + name, kept[name].value);
      hidden(WAS + name, kept[name].was);
      elsewhere += 1;
    }
  });
  var hint = document.getElementById("fix-hint");
  if (hint) {
    hint.textContent = hint.textContent.replace(
      "Submit the changes on this page before you go to another page of rows.",
      "Your changes are kept as you type, on every page of rows, until you submit them."
    );
    if (elsewhere) {
      hint.textContent += " " + elsewhere + (elsewhere === 1 ? " change" : " changes") +
        " made on other pages will be sent too.";
    }
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("fix-input")) {
      return;
    }
    var before = was(input);
    if (input.value === before) {
      delete kept[field(input)];
    } else {
      kept[field(input)] = { value: input.value, was: before };
    }
    save();
  });
  form.addEventListener("submit", function () {
    window.sessionStorage.removeItem(key);
  });

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
