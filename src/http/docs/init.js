// Starts Swagger UI on the /api/docs/ page (src/http/docs/mod.rs) over this server's OpenAPI
// document. Kept out of the HTML so the page needs no inline script.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/schema/",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    // Waldur's operation ids are the SDK's function names: show them.
    displayOperationId: true,
    // The default asks the public validator.swagger.io about the schema: the page must load
    // nothing from elsewhere and work offline.
    validatorUrl: null,
    // A token typed into "Authorize" stays in this tab's memory, not in localStorage.
    persistAuthorization: false,
  });
});
