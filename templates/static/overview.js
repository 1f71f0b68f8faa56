// The overview's details on demand and its filter box. A static file under
// `script-src 'self'`. Without it the page still holds every status, and each
// day strip is a link to the model page, where every day has its details.
(function () {
  "use strict";

  // -- a model's days: fetched when pointed at, clicked or entered, put in the strip's place
  var fetched = {};

  function daysOf(url) {
    if (!fetched[url]) {
      fetched[url] = fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      });
      fetched[url].catch(function () { delete fetched[url]; });
    }
    return fetched[url];
  }

  function expand(bar, focusFirstDay) {
    var link = bar.querySelector(".daybar__link");
    var url = bar.getAttribute("data-days");
    return (link ? daysOf(url) : Promise.resolve("")).then(function (html) {
      if (link && link.isConnected) {  // else pointing at it put the days in already
        var holder = document.createElement("div");
        holder.innerHTML = html;  // our own markup: every value in it escaped by the server
        var days = holder.querySelector(".uptime__days");
        if (!days) { throw new Error("no days in the answer"); }
        link.replaceWith(days);
      }
      var first = bar.querySelector(".uptime__seg");
      if (focusFirstDay && first) { first.focus(); }
    });
  }

  document.addEventListener("pointerover", function (event) {
    var bar = event.pointerType === "mouse" && event.target.closest &&
      event.target.closest(".daybar");
    if (bar) { expand(bar, false).catch(function () {}); }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".daybar__link");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
      return;
    }
    event.preventDefault();
    expand(link.closest(".daybar"), true).catch(function () {
      window.location.assign(link.href);  // the model page has the same days
    });
  });

  // -- the filter: rows whose model, provider or group matches; groups with none hide
  var box = document.getElementById("model-filter");
  if (!box) { return; }
  var status = document.getElementById("filter-status");
  var groups = Array.prototype.map.call(document.querySelectorAll("section.group"),
    function (section) {
      var fold = section.querySelector("details.group__fold");
      var heading = section.querySelector("h2");
      return {
        section: section,
        fold: fold,
        folded: fold ? !fold.open : false,
        name: heading ? heading.textContent.toLowerCase() : "",
        rows: Array.prototype.map.call(section.querySelectorAll("li.model"), function (row) {
          var name = row.querySelector(".model__name");
          var note = row.querySelector(".model__note a");
          return {
            row: row,
            text: ((name ? name.textContent : "") + " " +
                   (note ? note.textContent : "")).toLowerCase()
          };
        })
      };
    });

  function apply() {
    var words = box.value.trim().toLowerCase();
    var shown = 0, total = 0;
    groups.forEach(function (group) {
      var whole = words !== "" && group.name.indexOf(words) >= 0;
      var any = false;
      group.rows.forEach(function (entry) {
        var hit = words === "" || whole || entry.text.indexOf(words) >= 0;
        entry.row.hidden = !hit;
        total += 1;
        if (hit) { shown += 1; any = true; }
      });
      group.section.hidden = !any;
      // Matches are shown unfolded; an empty box gives each group back its own state.
      if (group.fold) { group.fold.open = words === "" ? !group.folded : any; }
    });
    status.textContent = words === "" ? "" : shown + " of " + total + " models shown";
  }

  box.closest(".filter").hidden = false;
  box.addEventListener("input", apply);
  if (box.value) { apply(); }  // kept by the browser on going back to the page
}());
