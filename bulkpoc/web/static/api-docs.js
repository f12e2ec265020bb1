// The API documentation page: Swagger UI on the schema the page names (no inline script,
// so the site's Content-Security-Policy holds). Without JavaScript the page links the schema.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.schema,
    domNode: root,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // never ask another site to validate the schema
    deepLinking: false,
  });
})();
