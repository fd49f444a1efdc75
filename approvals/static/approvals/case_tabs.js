"use strict";
/* The inlines of a project's tab, fetched by htmx when the tab is first opened
   (templates/admin/approvals/project/case_tab.html): their "add a row" and "delete" buttons and
   autocompletes wired as django-unfold's app.js and Django's autocomplete.js wire the page's at
   load. Only the fetched part: the page's own are wired already. */
document.addEventListener("htmx:load", function (event) {
  const part = event.detail.elt;
  if (!part.classList || !part.classList.contains("case-tab-loaded")) {
    return;
  }
  part.querySelectorAll(".add-row").forEach(function (el) {
    el.addEventListener("click", addInlineTemplateHandler);
  });
  part.querySelectorAll(".delete-template").forEach(function (el) {
    el.addEventListener("click", deleteInlineTemplateHandler);
  });
  if (window.django && django.jQuery && django.jQuery.fn.djangoAdminSelect2) {
    django.jQuery(part).find(".admin-autocomplete").not("[name*=__prefix__]").djangoAdminSelect2();
  }
});
