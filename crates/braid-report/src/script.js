// braid compare: optional conveniences. The page shows everything without this script.
(function () {
  "use strict";
  var tools = document.getElementById("diff-tools");
  if (!tools) { return; }
  function button(label, open) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", function () {
      document.querySelectorAll("details.attempt").forEach(function (d) { d.open = open; });
    });
    tools.appendChild(b);
  }
  button("Expand all", true);
  button("Collapse all", false);
})();
