// The upload form without this works as it is; with it, a file can be dropped on the drop
// zone, File Type follows the chosen file's extension, and Upload File is disabled once
// clicked so that a second click sends nothing (the server also treats a resent form as one).
(function () {
  "use strict";

  function enhance(form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-dropzone]");
    var button = form.querySelector("[data-upload-button]");
    var chosen = form.querySelector("[data-chosen]");
    var label = button.textContent;

    function fileChosen() {
      var file = input.files && input.files[0];
      chosen.textContent = file ? "Chosen: " + file.name : "";
      var extension = file ? file.name.split(".").pop().toLowerCase() : "";
      if (extension === "csv" || extension === "xlsx") {
        form.querySelector("input[name=file_type][value=" + extension + "]").checked = true;
      }
    }

    function dragging(on) {
      return function (event) {
        event.preventDefault();
        zone.classList.toggle("dragging", on);
      };
    }

    input.addEventListener("change", fileChosen);
    zone.addEventListener("dragenter", dragging(true));
    zone.addEventListener("dragover", dragging(true));
    zone.addEventListener("dragleave", dragging(false));
    zone.addEventListener("drop", function (event) {
      dragging(false)(event);
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        fileChosen();
      }
    });
    form.addEventListener("submit", function () {
      button.disabled = true;
      button.textContent = "Uploading…";
    });
    // Back from the results page may show this page from the browser's memory: usable again.
    window.addEventListener("pageshow", function () {
      button.disabled = false;
      button.textContent = label;
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(enhance);
})();
