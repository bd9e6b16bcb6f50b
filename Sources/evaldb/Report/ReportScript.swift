/// The report page's script: it reads the data block and draws the tables and SVG charts. User text (run, class
/// and file names) is only ever set as `textContent` or an attribute value, never parsed as markup. When done it
/// writes `ok charts=N` into `#evaldb-status`, or the errors it met (including uncaught ones) and the charts that
/// drew nothing, which `Scripts/browser-check` reads.
enum ReportScript {
    static let source = #"""
        (function () {
          "use strict";
          var errors = [];
          var finished = false;
          function status() {
            var box = document.getElementById("evaldb-status");
            if (!box) return;
            var charts = document.querySelectorAll("svg.chart");
            var empty = [];
            for (var i = 0; i < charts.length; i++) {
              if (charts[i].querySelectorAll(".mark").length === 0) empty.push(charts[i].getAttribute("data-chart"));
            }
            if (errors.length) box.textContent = "error: " + errors.join(" | ");
            else if (empty.length) box.textContent = "empty: " + empty.join(", ") + " charts=" + charts.length;
            else box.textContent = "ok charts=" + charts.length;
          }
          window.addEventListener("error", function (event) {
            errors.push(String(event.message || event));
            if (finished) status();
          });
          var consoleError = console.error;
          console.error = function () {
            errors.push(Array.prototype.join.call(arguments, " "));
            if (finished) status();
            return consoleError.apply(console, arguments);
          };
          try {

          var NS = "http://www.w3.org/2000/svg";
          // Okabe-Ito: safe for the common colour-vision deficiencies; outcomes also differ by dash pattern.
          var RUN_COLORS = ["#0072B2", "#E69F00"];
          var OUTCOME = {
            tp: { color: "#009E73", dash: "", label: "true positive" },
            fp: { color: "#D55E00", dash: "6 3", label: "false positive" },
            found: { color: "#0072B2", dash: "", label: "ground truth, found" },
            missed: { color: "#CC79A7", dash: "2 2", label: "ground truth, missed" },
            ignored: { color: "#999999", dash: "1 3", label: "ignored (crowd, ignore box, difficult)" }
          };
          var data = JSON.parse(document.getElementById("evaldb-data").textContent);
          var runNames = data.runs.map(function (r) { return r.name; });
          var names = {};
          data.categories.forEach(function (c) { names[c.id] = c.name; });
          var main = document.getElementById("report");

          function node(tag, text, parent, className) {
            var e = document.createElement(tag);
            if (text !== undefined && text !== null) e.textContent = String(text);
            if (className) e.className = className;
            if (parent) parent.appendChild(e);
            return e;
          }
          function svgNode(tag, attributes, parent, text) {
            var e = document.createElementNS(NS, tag);
            for (var key in attributes) {
              if (Object.prototype.hasOwnProperty.call(attributes, key)) e.setAttribute(key, String(attributes[key]));
            }
            if (text !== undefined && text !== null) e.textContent = String(text);
            if (parent) parent.appendChild(e);
            return e;
          }
          function tip(element, text) { svgNode("title", {}, element, text); return element; }
          function fixed(value, digits) {
            if (value === null || value === undefined || !isFinite(value)) return "-";
            return Number(value).toFixed(digits === undefined ? 3 : digits);
          }
          function signed(value, digits) {
            if (value === null || value === undefined) return "-";
            return (value > 0 ? "+" : "") + fixed(value, digits);
          }
          function shorten(text, length) {
            text = String(text);
            return text.length > length ? text.slice(0, length - 1) + "\u2026" : text;
          }
          function newChart(parent, name, width, height) {
            return svgNode("svg", {
              "class": "chart", "data-chart": name, width: width, height: height,
              viewBox: "0 0 " + width + " " + height, role: "img"
            }, parent);
          }
          function ticks(low, high, count) {
            var span = high - low;
            if (!(span > 0)) return [low];
            var step = Math.pow(10, Math.floor(Math.log(span / count) / Math.LN10));
            [1, 2, 5, 10].some(function (m) { if (span / (step * m) <= count) { step = step * m; return true; } return false; });
            var first = Math.ceil(low / step - 1e-9) * step;
            var values = [];
            for (var v = first; v <= high + step * 1e-9; v += step) values.push(Math.abs(v) < step * 1e-9 ? 0 : v);
            return values;
          }
          // A plot area with both axes, grid lines, tick labels and axis titles; returns the scales.
          function axes(svg, box, x, y) {
            var sx = function (v) { return box.left + (v - x.low) / (x.high - x.low) * box.width; };
            var sy = function (v) { return box.top + box.height - (v - y.low) / (y.high - y.low) * box.height; };
            ticks(x.low, x.high, x.ticks || 10).forEach(function (v) {
              svgNode("line", { x1: sx(v), x2: sx(v), y1: box.top, y2: box.top + box.height, stroke: "#e4e4e4" }, svg);
              svgNode("text", { x: sx(v), y: box.top + box.height + 16, "text-anchor": "middle", "font-size": 12 }, svg,
                x.format ? x.format(v) : fixed(v, x.digits === undefined ? 1 : x.digits));
            });
            if (!y.hidden) ticks(y.low, y.high, y.ticks || 5).forEach(function (v) {
              svgNode("line", { x1: box.left, x2: box.left + box.width, y1: sy(v), y2: sy(v), stroke: "#e4e4e4" }, svg);
              svgNode("text", { x: box.left - 6, y: sy(v) + 4, "text-anchor": "end", "font-size": 12 }, svg,
                fixed(v, y.digits === undefined ? 1 : y.digits));
            });
            svgNode("rect", { x: box.left, y: box.top, width: box.width, height: box.height, fill: "none", stroke: "#888" }, svg);
            svgNode("text", { x: box.left + box.width / 2, y: box.top + box.height + 36, "text-anchor": "middle", "font-size": 13 },
              svg, x.label);
            svgNode("text", {
              x: 0, y: 0, "text-anchor": "middle", "font-size": 13,
              transform: "translate(" + (box.left - 44) + "," + (box.top + box.height / 2) + ") rotate(-90)"
            }, svg, y.label);
            return { x: sx, y: sy };
          }
          function legend(parent, items) {
            var p = node("p", null, parent, "legend");
            items.forEach(function (item) {
              var span = node("span", null, p);
              var svg = svgNode("svg", { width: 34, height: 12 }, span);
              svgNode("line", {
                x1: 1, x2: 33, y1: 6, y2: 6, stroke: item.color, "stroke-width": item.width || 3,
                "stroke-dasharray": item.dash || ""
              }, svg);
              span.appendChild(document.createTextNode(" " + item.label));
            });
          }
          function polyline(svg, points, color, dash, label) {
            if (points.length === 0) return;
            var d = points.map(function (p, i) { return (i ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1); }).join("");
            tip(svgNode("path", {
              "class": "mark", d: d, fill: "none", stroke: color, "stroke-width": 2.2, "stroke-dasharray": dash || ""
            }, svg), label);
          }

          // Header.
          var subtitle = data.runs.length === 2 ? "comparing " + runNames[0] + " (A) with " + runNames[1] + " (B)" : "run " + runNames[0];
          node("p", subtitle + " on dataset " + data.dataset + ", protocol " + data.protocol + " (the default evaluation)",
            main, "meta");
          node("p", "parameters: " + data.params, main, "meta");
          if (data.notes.length) {
            var notes = node("ul", null, main);
            data.notes.forEach(function (n) { node("li", n, notes, "note"); });
          }

          // Summary.
          node("h2", "Summary metrics", main);
          var two = data.runs.length === 2;
          var table = node("table", null, main);
          var head = node("tr", null, node("thead", null, table));
          ["metric"].concat(runNames).concat(two ? ["change (B - A)"] : []).concat(data.ci ? ["interval"] : [])
            .forEach(function (h) { node("th", h, head); });
          var body = node("tbody", null, table);
          data.summary.forEach(function (row) {
            var tr = node("tr", null, body);
            node("td", row.metric, tr);
            row.values.forEach(function (v) { node("td", fixed(v, 4), tr); });
            if (two) node("td", signed(row.change, 4) + (row.ci_low !== null && row.ci_low !== undefined && (row.ci_low > 0 || row.ci_high < 0) ? " *" : ""), tr);
            if (data.ci) node("td", row.ci_low === null ? "-" : "[" + fixed(row.ci_low, 4) + ", " + fixed(row.ci_high, 4) + "]", tr);
          });
          if (data.ci) {
            node("p", (data.ci.level * 100) + "% intervals of the change from a paired bootstrap over images (" + data.ci.resamples +
              " resamples of " + data.ci.images + " images, seed " + data.ci.seed + "); * marks an interval that excludes 0.", main, "caption");
          }

          // Per-class bars.
          var metric = data.class_metric;
          var withChange = two && data.ci;
          node("h2", withChange ? "Change in " + metric + " per class, with " + (data.ci.level * 100) + "% intervals" : metric + " per class", main);
          (function () {
            var classes = data.classes;
            var rowHeight = withChange ? 20 : 12 + 10 * data.runs.length;
            var box = { left: 190, top: 10, width: 960, height: rowHeight * Math.max(classes.length, 1) };
            var svg = newChart(main, "class-bars", 1200, box.height + 60);
            var low = 0, high = 1;
            if (withChange) {
              low = 0; high = 0;
              classes.forEach(function (c) {
                [c.change, c.ci_low, c.ci_high].forEach(function (v) {
                  if (v !== null && v !== undefined) { low = Math.min(low, v); high = Math.max(high, v); }
                });
              });
              var pad = Math.max((high - low) * 0.05, 0.01);
              low -= pad; high += pad;
            }
            var s = axes(svg, box,
              { low: low, high: high, digits: 2, label: withChange ? "change in " + metric + ", B - A (fraction; > 0: B better)" : metric + " (fraction, 0 to 1)" },
              { low: 0, high: 1, hidden: true, label: "" });
            classes.forEach(function (c, i) {
              var top = box.top + i * rowHeight;
              tip(svgNode("text", { x: box.left - 8, y: top + rowHeight / 2 + 4, "text-anchor": "end", "font-size": 12 }, svg, shorten(c.name, 26)),
                c.name + " (" + (c.n_gt === null ? "-" : c.n_gt) + " ground-truth boxes)");
              if (withChange) {
                if (c.change === null || c.change === undefined) return;
                var x0 = s.x(0), x1 = s.x(c.change);
                tip(svgNode("rect", {
                  "class": "mark", x: Math.min(x0, x1), y: top + 4, width: Math.max(Math.abs(x1 - x0), 1), height: rowHeight - 8,
                  fill: c.change >= 0 ? RUN_COLORS[0] : "#D55E00"
                }, svg), c.name + ": " + signed(c.change, 4) + " [" + fixed(c.ci_low, 4) + ", " + fixed(c.ci_high, 4) + "]");
                if (c.ci_low !== null && c.ci_low !== undefined) {
                  var mid = top + rowHeight / 2;
                  svgNode("line", { "class": "mark", x1: s.x(c.ci_low), x2: s.x(c.ci_high), y1: mid, y2: mid, stroke: "#1a1a1a", "stroke-width": 1.5 }, svg);
                  [c.ci_low, c.ci_high].forEach(function (v) {
                    svgNode("line", { x1: s.x(v), x2: s.x(v), y1: mid - 5, y2: mid + 5, stroke: "#1a1a1a", "stroke-width": 1.5 }, svg);
                  });
                }
                return;
              }
              c.values.forEach(function (v, r) {
                if (v === null) return;
                var barHeight = (rowHeight - 6) / data.runs.length;
                tip(svgNode("rect", {
                  "class": "mark", x: s.x(0), y: top + 3 + r * barHeight, width: Math.max(s.x(v) - s.x(0), 1), height: barHeight - 1,
                  fill: RUN_COLORS[r], "fill-opacity": r === 0 ? 1 : 0.85
                }, svg), c.name + ", " + runNames[r] + ": " + fixed(v, 4));
              });
            });
            if (withChange) svgNode("line", { x1: s.x(0), x2: s.x(0), y1: box.top, y2: box.top + box.height, stroke: "#1a1a1a" }, svg);
            if (!withChange) legend(main, runNames.map(function (n, r) { return { color: RUN_COLORS[r], width: 8, label: n }; }));
          })();

          // Class pickers shared by the curve charts.
          function classPicker(parent, label, ids, overallLabel, onChange) {
            var controls = node("p", null, parent, "controls");
            var l = node("label", label + " ", controls);
            var select = node("select", null, l);
            var all = node("option", overallLabel, select);
            all.value = "all";
            ids.forEach(function (id) { var o = node("option", names[id] === undefined ? "class " + id : names[id], select); o.value = String(id); });
            select.addEventListener("change", function () { onChange(select.value); });
            return select;
          }

          // PR curves.
          node("h2", "Precision-recall curves", main);
          node("p", "The stored 101-point interpolated curves (the precision at each recall point is the best precision at that recall or beyond) at IoU 0.5 (solid) and 0.75 (dashed); \"all classes\" is their mean over the classes with ground truth, whose mean over recall is the AP at that threshold.", main, "caption");
          (function () {
            var ids = [];
            data.pr.curves.forEach(function (c) { if (ids.indexOf(c.category_id) < 0) ids.push(c.category_id); });
            ids.sort(function (a, b) { return a - b; });
            var holder = node("div", null, null);
            classPicker(main, "class:", ids, "all classes (mean)", draw);
            main.appendChild(holder);
            legend(main, [].concat.apply([], runNames.map(function (n, r) {
              return [{ color: RUN_COLORS[r], label: n + ", IoU 0.5" }, { color: RUN_COLORS[r], dash: "7 4", label: n + ", IoU 0.75" }];
            })));
            function draw(choice) {
              holder.textContent = "";
              var svg = newChart(holder, "pr", 1200, 460);
              var box = { left: 70, top: 12, width: 1100, height: 390 };
              var s = axes(svg, box, { low: 0, high: 1, label: "recall (fraction of ground-truth boxes found)" },
                { low: 0, high: 1, label: "precision (fraction)" });
              var curves = choice === "all" ? data.pr.mean : data.pr.curves.filter(function (c) { return String(c.category_id) === choice; });
              curves.forEach(function (c) {
                var points = [];
                c.precision.forEach(function (p, i) { if (p !== null) points.push([s.x(data.pr.recall[i]), s.y(p)]); });
                var ap = c.precision.filter(function (p) { return p !== null; });
                var mean = ap.length ? ap.reduce(function (a, b) { return a + b; }, 0) / c.precision.length : null;
                polyline(svg, points, RUN_COLORS[c.run], c.iou === 0.5 ? "" : "7 4",
                  runNames[c.run] + ", IoU " + c.iou + ": mean precision " + fixed(mean, 4));
              });
              if (curves.length === 0) svgNode("text", { x: 600, y: 200, "text-anchor": "middle" }, svg, "no curve: no ground truth for this class");
            }
            draw("all");
          })();

          // F1 against the score threshold.
          node("h2", "F1 against the score threshold", main);
          node("p", "At IoU " + data.thresholds.iou + ": keeping the detections scored at or above each threshold. The circle marks the best F1.", main, "caption");
          (function () {
            var ids = data.thresholds.runs[0].classes.map(function (c) { return c.category_id; });
            var holder = node("div", null, null);
            classPicker(main, "class:", ids, "all classes together", draw);
            main.appendChild(holder);
            legend(main, runNames.map(function (n, r) { return { color: RUN_COLORS[r], label: n }; }));
            var best = node("p", null, main, "caption");
            function draw(choice) {
              holder.textContent = "";
              var curves = data.thresholds.runs.map(function (run) {
                if (choice === "all") return run.overall;
                var found = run.classes.filter(function (c) { return String(c.category_id) === choice; })[0];
                return found ? found.curve : null;
              });
              var low = 0, high = 1;
              curves.forEach(function (c) { if (c) c.points.forEach(function (p) { low = Math.min(low, p[0]); high = Math.max(high, p[0]); }); });
              var svg = newChart(holder, "f1", 1200, 420);
              var box = { left: 70, top: 12, width: 1100, height: 350 };
              var s = axes(svg, box, { low: low, high: high, label: "score threshold (detection confidence)" }, { low: 0, high: 1, label: "F1 (fraction)" });
              var lines = [];
              curves.forEach(function (c, r) {
                if (!c) return;
                polyline(svg, c.points.map(function (p) { return [s.x(p[0]), s.y(p[3])]; }), RUN_COLORS[r], r === 1 ? "7 4" : "",
                  runNames[r] + ": F1 over " + c.point_count + " thresholds");
                if (c.best) {
                  var bx = s.x(c.best.threshold), by = s.y(c.best.f1);
                  svgNode("line", { x1: bx, x2: bx, y1: box.top, y2: box.top + box.height, stroke: RUN_COLORS[r], "stroke-dasharray": "2 3" }, svg);
                  tip(svgNode("circle", { "class": "mark", cx: bx, cy: by, r: 6, fill: "#fff", stroke: RUN_COLORS[r], "stroke-width": 3 }, svg),
                    runNames[r] + ": best F1 " + fixed(c.best.f1) + " at score " + fixed(c.best.threshold));
                  lines.push(runNames[r] + ": best F1 " + fixed(c.best.f1) + " at score >= " + fixed(c.best.threshold, 4) +
                    " (precision " + fixed(c.best.precision) + ", recall " + fixed(c.best.recall) + "; TP " + c.best.tp + ", FP " + c.best.fp + ", FN " + c.best.fn + ")");
                }
              });
              if (lines.length === 0) svgNode("text", { x: 600, y: 180, "text-anchor": "middle" }, svg, "no detections of this class");
              best.textContent = lines.join("; ");
            }
            draw("all");
          })();

          // Confusion matrices.
          node("h2", "Confusion matrix", main);
          node("p", "Rows: ground-truth class; columns: predicted class; the last row and column are background (a false positive on nothing, a box missed). Matched at IoU > " +
            data.confusion.iou + " among detections scored > " + data.confusion.score + "; the shade is the share of the row.", main, "caption");
          data.confusion.runs.forEach(function (m, r) {
            if (two) node("h3", runNames[r], main);
            var labels = m.category_ids.map(function (id) { return names[id] === undefined ? "class " + id : names[id]; }).concat(["background"]);
            var n = labels.length;
            var cell = Math.max(8, Math.min(44, Math.floor(880 / n)));
            var left = 170, top = 130;
            var svg = newChart(main, "confusion", left + n * cell + 40, top + n * cell + 40);
            svgNode("text", { x: left + n * cell / 2, y: 14, "text-anchor": "middle", "font-size": 13 }, svg, "predicted class");
            svgNode("text", { x: 0, y: 0, "text-anchor": "middle", "font-size": 13, transform: "translate(14," + (top + n * cell / 2) + ") rotate(-90)" }, svg, "ground-truth class");
            var font = Math.min(12, cell - 2);
            labels.forEach(function (label, i) {
              tip(svgNode("text", { x: left - 6, y: top + i * cell + cell / 2 + font / 3, "text-anchor": "end", "font-size": font }, svg, shorten(label, 22)), label);
              tip(svgNode("text", { x: 0, y: 0, "font-size": font, transform: "translate(" + (left + i * cell + cell / 2 + font / 3) + "," + (top - 6) + ") rotate(-60)" }, svg, shorten(label, 18)), label);
            });
            m.counts.forEach(function (row, i) {
              var total = row.reduce(function (a, b) { return a + b; }, 0);
              row.forEach(function (count, j) {
                var share = total > 0 ? count / total : 0;
                var rect = svgNode("rect", {
                  "class": "mark", x: left + j * cell, y: top + i * cell, width: cell - 1, height: cell - 1,
                  fill: count === 0 ? "#f7f7f7" : "rgba(0,114,178," + (0.12 + 0.88 * share).toFixed(3) + ")"
                }, svg);
                tip(rect, "ground truth " + labels[i] + ", predicted " + labels[j] + ": " + count + " (" + fixed(share * 100, 1) + "% of the row)");
                if (cell >= 22 && count > 0) {
                  svgNode("text", { x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 4, "text-anchor": "middle", "font-size": Math.min(11, cell / 3),
                    fill: share > 0.5 ? "#fff" : "#1a1a1a" }, svg, count);
                }
              });
            });
          });

          // TIDE.
          node("h2", "Error breakdown (TIDE)", main);
          node("p", "Each false positive or missed box gets one error type: cls (right box, wrong class), loc (right class, IoU between " + data.errors.background_iou + " and " + data.errors.foreground_iou +
            "), both, dupe (a second detection of a found box), bkg (on background), missed (never found). Left: the AP gained if that error were fixed (dAP); right: how many.", main, "caption");
          (function () {
            var types = data.errors.types;
            var rowHeight = 12 + 12 * data.runs.length;
            var box1 = { left: 80, top: 10, width: 470, height: rowHeight * types.length };
            var box2 = { left: 690, top: 10, width: 470, height: rowHeight * types.length };
            var svg = newChart(main, "tide", 1200, box1.height + 60);
            var maxDAP = 0, maxCount = 0, anyDAP = false;
            data.errors.runs.forEach(function (run) {
              types.forEach(function (t) {
                if (run.dAP[t] !== null) { anyDAP = true; maxDAP = Math.max(maxDAP, run.dAP[t]); }
                maxCount = Math.max(maxCount, run.counts[t]);
              });
            });
            var s1 = axes(svg, box1, { low: 0, high: maxDAP > 0 ? maxDAP * 1.1 : 0.1, digits: 3, ticks: 5, label: "dAP: AP gained if fixed (fraction)" }, { low: 0, high: 1, hidden: true, label: "" });
            var s2 = axes(svg, box2, { low: 0, high: maxCount > 0 ? maxCount * 1.1 : 1, digits: 0, ticks: 5, label: "count (boxes)" }, { low: 0, high: 1, hidden: true, label: "" });
            if (!anyDAP) svgNode("text", { x: box1.left + box1.width / 2, y: box1.top + box1.height / 2, "text-anchor": "middle" }, svg, "dAP not available");
            types.forEach(function (t, i) {
              var top = i * rowHeight + box1.top;
              [box1, box2].forEach(function (b) { svgNode("text", { x: b.left - 8, y: top + rowHeight / 2 + 4, "text-anchor": "end", "font-size": 12 }, svg, t); });
              data.errors.runs.forEach(function (run, r) {
                var barHeight = (rowHeight - 6) / data.runs.length;
                var y = top + 3 + r * barHeight;
                if (run.dAP[t] !== null) {
                  tip(svgNode("rect", { "class": "mark", x: s1.x(0), y: y, width: Math.max(s1.x(run.dAP[t]) - s1.x(0), 1), height: barHeight - 1, fill: RUN_COLORS[r] }, svg),
                    runNames[r] + ", " + t + ": dAP " + fixed(run.dAP[t], 4));
                }
                tip(svgNode("rect", { "class": "mark", x: s2.x(0), y: y, width: Math.max(s2.x(run.counts[t]) - s2.x(0), 1), height: barHeight - 1, fill: RUN_COLORS[r] }, svg),
                  runNames[r] + ", " + t + ": " + run.counts[t]);
              });
            });
            legend(main, runNames.map(function (n, r) { return { color: RUN_COLORS[r], width: 8, label: n }; }));
            var lines = [];
            data.errors.runs.forEach(function (run, r) {
              if (run.ap === null) return;
              lines.push(runNames[r] + ": AP at IoU " + data.errors.foreground_iou + " " + fixed(run.ap, 4) +
                (run.fp_dAP === null ? "" : ", +" + fixed(run.fp_dAP, 4) + " with every false positive fixed") +
                (run.fn_dAP === null ? "" : ", +" + fixed(run.fn_dAP, 4) + " with every miss fixed"));
            });
            node("p", lines.join("; "), main, "caption");
          })();

          // Gallery.
          var gallery = data.gallery;
          node("h2", "Images", main);
          node("p", two ? "The images where the runs differ most (" + gallery.ranking + ") at IoU " + gallery.iou + "; A left, B right."
            : "The images where the run loses most (" + gallery.ranking + ") at IoU " + gallery.iou + ".", main, "caption");
          if (gallery.images_note) node("p", gallery.images_note + "; boxes are drawn on a blank canvas of the image's size.", main, "note");
          var controls = node("p", null, main, "controls");
          var sliderLabel = node("label", "hide detections scored below ", controls);
          var slider = node("input", null, sliderLabel);
          slider.type = "range"; slider.min = "0"; slider.max = "1"; slider.step = "0.01"; slider.value = "0";
          var sliderValue = node("span", " 0.00", sliderLabel);
          legend(main, ["tp", "fp", "found", "missed", "ignored"].map(function (k) {
            return { color: OUTCOME[k].color, dash: OUTCOME[k].dash, label: OUTCOME[k].label };
          }));
          if (gallery.images.length === 0) node("p", "No image has a false positive or a missed box.", main, "caption");
          var wall = node("div", null, main, "gallery");
          gallery.images.forEach(function (image) {
            var figure = node("figure", null, wall, two ? "pair" : "");
            var panels = node("div", null, figure, "panels");
            data.runs.forEach(function (run, r) {
              var panel = node("div", null, panels, "panel");
              var svg = svgNode("svg", { "class": "chart", "data-chart": "image", viewBox: "0 0 " + image.width + " " + image.height, width: "100%", role: "img" }, panel);
              svgNode("rect", { x: 0, y: 0, width: image.width, height: image.height, fill: "#eeeeee" }, svg);
              if (image.src) svgNode("image", { href: image.src, x: 0, y: 0, width: image.width, height: image.height, preserveAspectRatio: "none" }, svg);
              var stroke = Math.max(image.width, image.height) / 300;
              function rect(b, outcome, title, extra) {
                var style = OUTCOME[outcome];
                var e = svgNode("rect", {
                  "class": "mark " + (extra || ""), x: b[0], y: b[1], width: Math.max(b[2], 0.5), height: Math.max(b[3], 0.5), fill: "none",
                  stroke: style.color, "stroke-width": stroke * (outcome === "missed" ? 1.6 : 1),
                  "stroke-dasharray": style.dash ? style.dash.split(" ").map(function (v) { return v * stroke; }).join(" ") : ""
                }, svg);
                return tip(e, title);
              }
              image.ground_truth.forEach(function (g) {
                var name = names[g.category_id] === undefined ? "class " + g.category_id : names[g.category_id];
                rect(g.box, g.outcomes[r], "ground truth " + name + ": " + OUTCOME[g.outcomes[r]].label);
              });
              image.detections.forEach(function (d) {
                if (d.run !== r) return;
                var name = names[d.category_id] === undefined ? "class " + d.category_id : names[d.category_id];
                var e = rect(d.box, d.outcome === "tp" ? "tp" : d.outcome === "fp" ? "fp" : "ignored",
                  runNames[r] + ": " + name + " " + fixed(d.score) + ", " + (d.outcome === "tp" ? "true positive" : d.outcome === "fp" ? "false positive" : "ignored") +
                  (d.error ? " (TIDE: " + d.error + ")" : ""), "detection");
                e.setAttribute("data-score", String(d.score));
              });
              var c = image.counts[r];
              node("div", (two ? runNames[r] + ": " : "") + "TP " + c.tp + ", FP " + c.fp + ", missed " + c.missed, panel, "caption");
            });
            node("figcaption", image.file_name + " (" + image.width + " x " + image.height + " px)" + (image.note ? ": " + image.note : ""), figure);
          });
          slider.addEventListener("input", function () {
            var threshold = Number(slider.value);
            sliderValue.textContent = " " + threshold.toFixed(2);
            var boxes = document.querySelectorAll("rect.detection");
            for (var i = 0; i < boxes.length; i++) {
              boxes[i].style.display = Number(boxes[i].getAttribute("data-score")) >= threshold ? "" : "none";
            }
          });
          node("p", "evaldb " + data.evaldb_version, main, "caption");
          } catch (error) {
            errors.push(String((error && error.stack) || error));
          }
          finished = true;
          status();
        })();
        """#
}
