/* Widths and offsets of the bars drawn in CSS (score bars, coupon bands and stacks, cash sources, progress).
 * The templates carry them as data-width / data-left, in percent, because the Content-Security-Policy forbids
 * style attributes; setting them through the CSSOM here is allowed. Runs on load and on each htmx swap. */
(function () {
  "use strict";
  function percent(value) {
    var number = parseFloat(value);
    return isFinite(number) ? Math.max(0, Math.min(100, number)) + "%" : null;
  }
  function apply(root) {
    if (!root || !root.querySelectorAll) { return; }
    var nodes = Array.prototype.slice.call(root.querySelectorAll("[data-width], [data-left]"));
    if (root.matches && root.matches("[data-width], [data-left]")) { nodes.push(root); }
    nodes.forEach(function (node) {
      var width = percent(node.getAttribute("data-width"));
      var left = percent(node.getAttribute("data-left"));
      if (width !== null) { node.style.width = width; }
      if (left !== null) { node.style.left = left; }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { apply(document); });
  } else {
    apply(document);
  }
  document.addEventListener("htmx:load", function (event) { apply(event.target); });
})();
