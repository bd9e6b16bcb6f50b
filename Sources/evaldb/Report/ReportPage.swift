/// The report as one HTML file: a static page (styles and script below) and the data block it draws from. Nothing
/// is loaded from the network; user text reaches the page only through the data block (escaped by `ReportJSON`)
/// and the title (escaped by `HTMLText`), and the script puts it into the document as text, never as markup.
enum ReportPage {
    /// The whole page for `data`, titled `title`.
    static func html(title: String, data: ReportJSON) -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="evaldb">
            <title>\(HTMLText.escaped(title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            <main id="report">
            <h1 id="title">\(HTMLText.escaped(title))</h1>
            <noscript><p class="note">This report draws its tables and charts with JavaScript; enable it to see them. \
            The numbers are in the JSON block with id evaldb-data in this file.</p></noscript>
            </main>
            <div id="evaldb-status">pending</div>
            <script type="application/json" id="evaldb-data">
            """
        data.write(to: &page)
        page += "</script>\n<script>\n" + ReportScript.source + "\n</script>\n</body>\n</html>\n"
        return page
    }

    static let style = """
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
               color: #1a1a1a; background: #fff; margin: 0; }
        main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 40px; }
        h1 { font-size: 24px; margin: 8px 0 4px; }
        h2 { font-size: 19px; margin: 28px 0 6px; border-bottom: 1px solid #ccc; padding-bottom: 3px; }
        p.meta, p.note, .caption { color: #444; margin: 4px 0; }
        p.note, li.note { color: #6b4e00; }
        table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
        th, td { padding: 3px 10px; border-bottom: 1px solid #e2e2e2; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        th { background: #f4f4f4; }
        svg.chart { display: block; max-width: 100%; height: auto; margin: 6px 0; }
        svg text { font-family: inherit; fill: #1a1a1a; }
        .controls { margin: 8px 0; }
        .controls label { margin-right: 14px; }
        select, input { font: inherit; }
        .gallery { display: flex; flex-wrap: wrap; gap: 18px; }
        figure { margin: 0; width: 580px; max-width: 100%; }
        figure.pair { width: 1180px; }
        figure .panels { display: flex; gap: 12px; }
        figure .panel { flex: 1; min-width: 0; }
        figcaption { font-size: 13px; word-break: break-all; }
        #evaldb-status { font-size: 11px; color: #888; padding: 4px 20px; }
        .legend span { margin-right: 16px; white-space: nowrap; }
        """
}
