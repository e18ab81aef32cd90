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
        public var modelID: String
        /// How many liked tracks the model learned from.
        public var likedTrackCount: Int
        /// Where the fit calibration came from ("held-out" or "training").
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

    public var title: String
    public var model: ModelInfo
    /// CSI track scores of the liked tracks (the calibration scores).
    public var likedScores: [Double]
    /// The new tracks, ranked best first.
    public var new: [ScoredTrack]
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
        let newScores = new.map(\.csi).filter(\.isFinite)
        guard var low = (liked + newScores).min(), var high = (liked + newScores).max() else {
            return "<p>No scores to show.</p>"
        }
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        let binCount = 30
        func fractions(_ values: [Double]) -> [Double] {
            var counts = Array(repeating: 0.0, count: binCount)
            for value in values {
                let bin = min(binCount - 1, Int((value - low) / (high - low) * Double(binCount)))
                counts[bin] += 1
            }
            return counts.map { values.isEmpty ? 0 : $0 / Double(values.count) }
        }
        let likedFractions = fractions(liked), newFractions = fractions(newScores)
        let peak = max(likedFractions.max() ?? 0, newFractions.max() ?? 0, 1e-9)
        let width = 720.0, height = 240.0, left = 50.0, right = 10.0, top = 30.0, bottom = 40.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let binWidth = plotWidth / Double(binCount)
        var svg = """
            <svg class="histogram" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" role="img" aria-label="Histogram of liked and new CSI scores">

            """
        for bin in 0..<binCount {
            let x = left + Double(bin) * binWidth
            for (series, fractionsOfSeries, colour) in [(0, likedFractions, Self.likedColour), (1, newFractions, Self.newColour)] {
                let barHeight = fractionsOfSeries[bin] / peak * plotHeight
                guard barHeight > 0 else { continue }
                svg += "<rect x=\"\(Self.coordinate(x + Double(series) * binWidth / 2))\" y=\"\(Self.coordinate(top + plotHeight - barHeight))\" width=\"\(Self.coordinate(binWidth / 2))\" height=\"\(Self.coordinate(barHeight))\" fill=\"\(colour)\"></rect>\n"
            }
        }
        let axisY = top + plotHeight
        svg += """
            <line x1="\(Self.coordinate(left))" y1="\(Self.coordinate(axisY))" x2="\(Self.coordinate(width - right))" y2="\(Self.coordinate(axisY))" stroke="#4a5568"></line>
            <text x="\(Self.coordinate(left))" y="\(Self.coordinate(axisY + 16))" text-anchor="start">\(Self.number(low, digits: 2))</text>
            <text x="\(Self.coordinate(left + plotWidth / 2))" y="\(Self.coordinate(axisY + 16))" text-anchor="middle">\(Self.number((low + high) / 2, digits: 2))</text>
            <text x="\(Self.coordinate(width - right))" y="\(Self.coordinate(axisY + 16))" text-anchor="end">\(Self.number(high, digits: 2))</text>
            <text x="\(Self.coordinate(left + plotWidth / 2))" y="\(Self.coordinate(height - 4))" text-anchor="middle">CSI track score (higher = more typical of the liked music)</text>
            <text x="\(Self.coordinate(left - 6))" y="\(Self.coordinate(top + 4))" text-anchor="end">\(Self.number(peak * 100, digits: 0))%</text>
            <text x="\(Self.coordinate(left - 6))" y="\(Self.coordinate(axisY))" text-anchor="end">0</text>
            <g class="legend">
            <rect x="\(Self.coordinate(left + 10))" y="8" width="12" height="12" fill="\(Self.likedColour)"></rect>
            <text x="\(Self.coordinate(left + 28))" y="18">liked (\(liked.count))</text>
            <rect x="\(Self.coordinate(left + 130))" y="8" width="12" height="12" fill="\(Self.newColour)"></rect>
            <text x="\(Self.coordinate(left + 148))" y="18">new (\(newScores.count))</text>
            <text x="\(Self.coordinate(left + 250))" y="18">bar height: share of each set</text>
            </g>
            </svg>
            """
        return svg
    }

    private func rocSection(_ benchmark: Benchmark) -> String {
        let size = 300.0, margin = 40.0
        let points = benchmark.roc.filter { $0.fpr.isFinite && $0.tpr.isFinite }
            .sorted { ($0.fpr, $0.tpr) < ($1.fpr, $1.tpr) }
        func x(_ fpr: Double) -> String { Self.coordinate(margin + min(1, max(0, fpr)) * size) }
        func y(_ tpr: Double) -> String { Self.coordinate(margin + (1 - min(1, max(0, tpr))) * size) }
        let polyline = points.map { "\(x($0.fpr)),\(y($0.tpr))" }.joined(separator: " ")
        let total = Int(size + 2 * margin)
        var section = """
            <section class="benchmark">
            <h2>Benchmark</h2>
            <svg class="roc" viewBox="0 0 \(total) \(total)" width="\(total)" height="\(total)" role="img" aria-label="ROC curve">
            <rect x="\(x(0))" y="\(y(1))" width="\(Self.coordinate(size))" height="\(Self.coordinate(size))" fill="none" stroke="#4a5568"></rect>
            <line x1="\(x(0))" y1="\(y(0))" x2="\(x(1))" y2="\(y(1))" stroke="#a0aec0" stroke-dasharray="4 4"></line>
            <polyline points="\(polyline)" fill="none" stroke="\(Self.likedColour)" stroke-width="2"></polyline>
            <text x="\(Self.coordinate(margin + size / 2))" y="\(Self.coordinate(2 * margin + size - 8))" text-anchor="middle">false positive rate</text>
            <text transform="translate(14 \(Self.coordinate(margin + size / 2))) rotate(-90)" text-anchor="middle">true positive rate</text>

            """
        for (index, auroc) in benchmark.aurocs.prefix(8).enumerated() {
            section += "<text x=\"\(Self.coordinate(margin + size - 8))\" y=\"\(Self.coordinate(margin + size - 10 - Double(benchmark.aurocs.prefix(8).count - 1 - index) * 16))\" text-anchor=\"end\">AUROC \(Self.escape(auroc.name)): \(Self.number(auroc.value, digits: 3))</text>\n"
        }
        section += "</svg>\n<table class=\"auroc\"><thead><tr><th>Name</th><th>AUROC</th></tr></thead><tbody>\n"
        for auroc in benchmark.aurocs {
            section += "<tr><td>\(Self.escape(auroc.name))</td><td class=\"number\">\(Self.number(auroc.value, digits: 3))</td></tr>\n"
        }
        section += "</tbody></table>\n</section>\n"
        return section
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
