import Foundation
import LibraryScanner

/// A self-contained HTML report of a ranking: score histogram, ranked table with players, and for a
/// benchmark run the ROC curve.
///
/// Everything is inline (CSS, SVG, a few lines of script) and nothing points to the network, so the page
/// works offline and can be mailed or archived as one file. Audio players point to the local files.
public struct ReportPage: Sendable {
    /// Which model made the ranking.
    public struct ModelInfo: Sendable {
        /// The taste model's identifier.
        public var modelID: String
        /// How many liked tracks the model learned from.
        public var likedTrackCount: Int
        /// Where the fit calibration came from ("held-out" or "all liked").
        public var calibrationSource: String

        /// Model information with the given values.
        public init(modelID: String, likedTrackCount: Int, calibrationSource: String) {
            self.modelID = modelID
            self.likedTrackCount = likedTrackCount
            self.calibrationSource = calibrationSource
        }
    }

    /// What a benchmark run measured: an ROC curve and the AUROC values to show beside it.
    public struct Benchmark: Sendable {
        /// Points of the ROC curve (false positive rate, true positive rate), each 0...1.
        public var roc: [(fpr: Double, tpr: Double)]
        /// AUROC values by name ("overall", a genre …), in the order to show them.
        public var aurocs: [(name: String, value: Double)]

        /// A benchmark section with the given values.
        public init(roc: [(fpr: Double, tpr: Double)], aurocs: [(name: String, value: Double)]) {
            self.roc = roc
            self.aurocs = aurocs
        }
    }

    /// The page's title and heading.
    public var title: String
    /// Which model made the ranking.
    public var model: ModelInfo
    /// CSI track scores of the liked tracks (the calibration scores).
    public var likedScores: [Double]
    /// The new tracks, ranked best first.
    public var new: [ScoredTrack]
    /// The ROC section of a benchmark run; nil for a plain ranking.
    public var benchmark: Benchmark?

    /// A report with the given contents.
    public init(title: String, model: ModelInfo, likedScores: [Double], new: [ScoredTrack], benchmark: Benchmark? = nil) {
        self.title = title
        self.model = model
        self.likedScores = likedScores
        self.new = new
        self.benchmark = benchmark
    }

    static let likedColour = "#2b6cb0"
    static let newColour = "#dd6b20"

    /// The whole page.
    public func html() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Self.escape(title))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1a202c; }
            h1 { font-size: 1.5em; }
            dl.model { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
            dl.model dt { font-weight: bold; }
            dl.model dd { margin: 0; }
            table.ranking { border-collapse: collapse; width: 100%; font-size: 0.9em; }
            table.ranking th, table.ranking td { border-bottom: 1px solid #e2e8f0; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
            table.ranking td.number { text-align: right; font-variant-numeric: tabular-nums; }
            .reason { display: block; color: #4a5568; }
            audio { height: 2em; width: 14em; }
            svg text { font-size: 12px; fill: #2d3748; }
            .tracks-filter { margin: 0.5em 0; }
            </style>
            </head>
            <body>
            <h1>\(Self.escape(title))</h1>
            <dl class="model">
            <dt>Model</dt><dd>\(Self.escape(model.modelID))</dd>
            <dt>Liked tracks</dt><dd>\(model.likedTrackCount)</dd>
            <dt>Fit calibration</dt><dd>\(Self.escape(model.calibrationSource))</dd>
            <dt>New tracks</dt><dd>\(new.count)</dd>
            </dl>
            <section class="histogram">
            <h2>CSI scores</h2>
            \(histogram())
            </section>

            """
        page += """
            <section class="ranking">
            <h2>Ranking</h2>
            <input class="tracks-filter" type="search" placeholder="Filter" aria-label="Filter the ranking">
            <table class="ranking">
            <thead><tr><th>#</th><th>Fit</th><th>Title</th><th>Artist</th><th>Album</th><th>Duration</th><th>Why</th><th>Listen</th></tr></thead>
            <tbody>

            """
        for (index, track) in new.enumerated() { page += row(track, rank: index + 1) }
        page += """
            </tbody>
            </table>
            </section>

            """
        if let benchmark { page += rocSection(benchmark) }
        page += """
            <script>
            // Hides the rows whose text does not contain the filter; no network, no libraries.
            document.querySelector('.tracks-filter').addEventListener('input', function (event) {
              var needle = event.target.value.toLowerCase();
              document.querySelectorAll('tr.track').forEach(function (row) {
                row.hidden = needle !== '' && row.textContent.toLowerCase().indexOf(needle) < 0;
              });
            });
            </script>
            </body>
            </html>

            """
        return page
    }

    /// Writes the page to `url` atomically, in UTF-8.
    /// - Throws: Foundation's file error when the file cannot be written.
    public func write(to url: URL) throws {
        try Data(html().utf8).write(to: url, options: .atomic)
    }

    // MARK: - Parts

    private func row(_ track: ScoredTrack, rank: Int) -> String {
        let title = track.title.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } ?? track.fileStem
        let reasons = track.reasons.map { reason in
            "<span class=\"reason\">because you liked \(Self.escape(reason.likedTrack)) (\(Self.number(reason.similarity, digits: 2)))</span>"
        }.joined()
        return """
            <tr class="track" data-rank="\(rank)">\
            <td class="number">\(rank)</td>\
            <td class="number">\(Self.number(track.fit, digits: 1))</td>\
            <td class="title" title="\(Self.escape(track.path.displayString))">\(Self.escape(title))</td>\
            <td>\(Self.escape(track.artist ?? ""))</td>\
            <td>\(Self.escape(track.album ?? ""))</td>\
            <td class="number">\(Self.duration(track.duration))</td>\
            <td>\(reasons)</td>\
            <td><audio controls preload="none" src="\(Self.escape(Self.fileURL(track.path)))"></audio></td>\
            </tr>

            """
    }

    /// Liked and new CSI scores as two side-by-side bar series over shared bins, each scaled to its own
    /// total: there are usually far more new tracks than liked ones, and the shapes are what matter.
    private func histogram() -> String {
        let liked = likedScores.filter(\.isFinite)
        let newScores = new.map(\.score).filter(\.isFinite)
        guard var low = (liked + newScores).min(), var high = (liked + newScores).max() else {
            return "<p>No scores to show.</p>"
        }
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        let binCount = 30
        func fractions(_ values: [Double]) -> [Double] {
            var counts = Array(repeating: 0.0, count: binCount)
            for value in values {
                counts[min(binCount - 1, Int((value - low) / (high - low) * Double(binCount)))] += 1
            }
            return counts.map { values.isEmpty ? 0 : $0 / Double(values.count) }
        }
        let series = [(fractions(liked), Self.likedColour), (fractions(newScores), Self.newColour)]
        let peak = max(series.compactMap { $0.0.max() }.max() ?? 0, 1e-9)
        let width = 720.0, height = 240.0, left = 50.0, right = 10.0, top = 30.0, bottom = 40.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom, axisY = top + plotHeight
        let barWidth = plotWidth / Double(binCount) / 2
        var svg = Self.open("svg", ["class": "histogram", "viewBox": "0 0 \(Int(width)) \(Int(height))",
                                    "width": "\(Int(width))", "height": "\(Int(height))", "role": "img",
                                    "aria-label": "Histogram of liked and new CSI scores"]) + "\n"
        for bin in 0..<binCount {
            for (index, (fractions, colour)) in series.enumerated() where fractions[bin] > 0 {
                let barHeight = fractions[bin] / peak * plotHeight
                svg += Self.element("rect", ["x": left + Double(2 * bin + index) * barWidth, "y": axisY - barHeight,
                                             "width": barWidth, "height": barHeight], fill: colour)
            }
        }
        svg += Self.element("line", ["x1": left, "y1": axisY, "x2": width - right, "y2": axisY], stroke: "#4a5568")
        for (x, value, anchor) in [(left, low, "start"), (left + plotWidth / 2, (low + high) / 2, "middle"),
                                   (width - right, high, "end")] {
            svg += Self.text(Self.number(value, digits: 2), x: x, y: axisY + 16, anchor: anchor)
        }
        svg += Self.text("CSI track score (higher = more typical of the liked music)", x: left + plotWidth / 2,
                         y: height - 4, anchor: "middle")
        svg += Self.text("\(Self.number(peak * 100, digits: 0))%", x: left - 6, y: top + 4, anchor: "end")
        svg += Self.text("0", x: left - 6, y: axisY, anchor: "end")
        svg += "<g class=\"legend\">\n"
        for (x, label, colour) in [(left + 10, "liked (\(liked.count))", Self.likedColour),
                                   (left + 130, "new (\(newScores.count))", Self.newColour)] {
            svg += Self.element("rect", ["x": x, "y": 8, "width": 12, "height": 12], fill: colour)
            svg += Self.text(label, x: x + 18, y: 18)
        }
        svg += Self.text("bar height: share of each set", x: left + 250, y: 18)
        return svg + "</g>\n</svg>"
    }

    private func rocSection(_ benchmark: Benchmark) -> String {
        let size = 300.0, margin = 40.0, total = Int(size + 2 * margin)
        let points = benchmark.roc.filter { $0.fpr.isFinite && $0.tpr.isFinite }
            .sorted { ($0.fpr, $0.tpr) < ($1.fpr, $1.tpr) }
        func x(_ fpr: Double) -> Double { margin + min(1, max(0, fpr)) * size }
        func y(_ tpr: Double) -> Double { margin + (1 - min(1, max(0, tpr))) * size }
        var section = "<section class=\"benchmark\">\n<h2>Benchmark</h2>\n"
        section += Self.open("svg", ["class": "roc", "viewBox": "0 0 \(total) \(total)", "width": "\(total)",
                                     "height": "\(total)", "role": "img", "aria-label": "ROC curve"]) + "\n"
        section += Self.element("rect", ["x": x(0), "y": y(1), "width": size, "height": size], fill: "none",
                                stroke: "#4a5568")
        section += Self.element("line", ["x1": x(0), "y1": y(0), "x2": x(1), "y2": y(1)], stroke: "#a0aec0",
                                extra: ["stroke-dasharray": "4 4"])
        let polyline = points.map { "\(Self.coordinate(x($0.fpr))),\(Self.coordinate(y($0.tpr)))" }
        section += Self.element("polyline", [:], fill: "none", stroke: Self.likedColour,
                                extra: ["points": polyline.joined(separator: " "), "stroke-width": "2"])
        section += Self.text("false positive rate", x: margin + size / 2, y: 2 * margin + size - 8, anchor: "middle")
        section += "<text transform=\"translate(14 \(Self.coordinate(margin + size / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">true positive rate</text>\n"
        // The first few values inside the plot, bottom right where an ROC curve leaves room; all in the table.
        let shown = Array(benchmark.aurocs.prefix(8))
        for (index, auroc) in shown.enumerated() {
            section += Self.text("AUROC \(auroc.name): \(Self.number(auroc.value, digits: 3))", x: margin + size - 8,
                                 y: margin + size - 10 - Double(shown.count - 1 - index) * 16, anchor: "end")
        }
        section += "</svg>\n<table class=\"auroc\"><thead><tr><th>Name</th><th>AUROC</th></tr></thead><tbody>\n"
        for auroc in benchmark.aurocs {
            section += "<tr><td>\(Self.escape(auroc.name))</td>"
                + "<td class=\"number\">\(Self.number(auroc.value, digits: 3))</td></tr>\n"
        }
        return section + "</tbody></table>\n</section>\n"
    }

    // MARK: - SVG

    /// An opening tag with escaped attribute values, in the order given.
    private static func open(_ name: String, _ attributes: KeyValuePairs<String, String>) -> String {
        "<\(name)" + attributes.map { " \($0.key)=\"\(escape($0.value))\"" }.joined() + ">"
    }

    /// A shape with numeric geometry (one decimal) and optional paint, closed on the same line.
    private static func element(_ name: String, _ geometry: KeyValuePairs<String, Double>, fill: String? = nil,
                                stroke: String? = nil, extra: KeyValuePairs<String, String> = [:]) -> String {
        var tag = "<\(name)" + geometry.map { " \($0.key)=\"\(coordinate($0.value))\"" }.joined()
        if let fill { tag += " fill=\"\(escape(fill))\"" }
        if let stroke { tag += " stroke=\"\(escape(stroke))\"" }
        tag += extra.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
        return tag + "></\(name)>\n"
    }

    /// An escaped SVG text label.
    private static func text(_ content: String, x: Double, y: Double, anchor: String? = nil) -> String {
        let anchorAttribute = anchor.map { " text-anchor=\"\($0)\"" } ?? ""
        return "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\"\(anchorAttribute)>\(escape(content))</text>\n"
    }

    // MARK: - Text

    /// `text` safe inside HTML elements and quoted attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// A `file://` URL of the path's exact bytes: everything but unreserved characters and `/` is
    /// percent-encoded byte by byte, so spaces, `#`, `?` and non-UTF-8 names all reach the right file.
    static func fileURL(_ path: RawPath) -> String {
        var bytes = path.bytes
        if bytes.first != UInt8(ascii: "/") {
            bytes = Array(FileManager.default.currentDirectoryPath.utf8) + [UInt8(ascii: "/")] + bytes
        }
        var url = "file://"
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: "/"):
                url.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                url += String(format: "%%%02X", byte)
            }
        }
        return url
    }

    static func number(_ value: Double, digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "–"
    }

    static func coordinate(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    /// "m:ss", or empty when unknown.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "" }
        let whole = Int(seconds.rounded())
        return String(format: "%ld:%02ld", whole / 60, whole % 60)
    }
}
