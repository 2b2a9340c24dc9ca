/* The embed builder: a changed choice reloads the page (the server renders the preview
 * and the snippet), the copy button copies the snippet, the preview resizes itself. */
(function () {
  "use strict";
  var form = document.getElementById("builder-form");
  var preview = document.getElementById("builder-preview");
  var snippet = document.getElementById("builder-snippet");
  var copy = document.getElementById("builder-copy");

  form.addEventListener("change", function (event) {
    if (event.target.name === "chart") {  // another chart: keep only the language
      Array.prototype.forEach.call(form.querySelectorAll("select"), function (el) {
        if (el.name !== "chart" && el.name !== "lang") { el.disabled = true; }
      });
    }
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (el) {
      if (!el.value) { el.disabled = true; }  // "all countries": no parameter at all
    });
    form.submit();
  });

  copy.addEventListener("click", function () {
    snippet.select();
    var done = function () { copy.textContent = copy.dataset.done; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(snippet.value).then(done);
    } else if (document.execCommand("copy")) {
      done();
    }
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data) { return; }
    if (event.data.type === "solidarity-embed:height" && event.source === preview.contentWindow) {
      preview.style.height = event.data.height + "px";
    }
  });
})();
