// Live progress of a running batch: poll its JSON twin, show what it says, and load the
// results page once the batch has finished. Without JavaScript a <noscript> refresh does this.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var text = box.querySelector("[data-progress-text]");
  var bar = box.querySelector("progress");

  function show(progress) {
    text.textContent = progress.message;
    if (progress.total > 1) {
      bar.max = progress.total;
      bar.value = progress.done;
    } else {
      bar.removeAttribute("value");
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          // The session ended or the batch is gone: the page itself says what to do.
          window.location.reload();
          return;
        }
        return response.json().then(function (progress) {
          if (progress.finished) {
            window.location.reload();
            return;
          }
          show(progress);
          window.setTimeout(poll, 1000);
        });
      })
      .catch(function () {
        window.setTimeout(poll, 2000); // the server is restarting or the network blinked
      });
  }

  window.setTimeout(poll, 1000);
})();
