import Imaging
import Training

// Why: a VQ run can collapse onto one or two codes while its losses still look fine (one sat on a
// single code for ~400 steps); drawing metrics.jsonl's `codes_used` and `perplexity` shows it.

extension ReportFigures {
  /// Codes used and code perplexity per logged update, on 0...codebookSize with the codebook size
  /// dashed; nil when no record has `codesUsed` (a continuous run).
  static func codebookUse(_ records: [MetricsRecord], codebookSize: Int) -> Image? {
    let vq = records.filter { $0.codesUsed != nil }
    guard let first = vq.first, let last = vq.last else { return nil }
    let size = Double(codebookSize)
    let perplexity = vq.compactMap { r in r.perplexity.flatMap { $0.isFinite ? (Double(r.step), Double($0)) : nil } }
    // The codebook size as dashes: pairs of points, each pair ended by a NaN, which breaks the line.
    let (lo, hi) = (Double(first.step), Double(max(last.step, first.step + 1)))
    let dash = (hi - lo) / 60
    let starts = stride(from: lo, to: hi, by: 2 * dash)
    let dashX = starts.flatMap { [$0, min($0 + dash, hi), .nan] }
    let dashY = starts.flatMap { _ in [size, size, .nan] }
    // The reference first, so the data is drawn over it.
    let all = [
      LinePlot.Series(name: "codebook size (\(codebookSize))", x: dashX, y: dashY, colour: Colour(gray: 110)),
      LinePlot.Series(name: "codes used", x: vq.map { Double($0.step) }, y: vq.map { Double($0.codesUsed!) },
                      colour: Palette.colour(0)),
      perplexity.isEmpty ? nil : LinePlot.Series(name: "perplexity (effective codes)", x: perplexity.map(\.0),
                                                 y: perplexity.map(\.1), colour: Palette.colour(1)),
    ].compactMap { $0 }
    var plot = LinePlot(series: all, title: "Codebook use (VQ)", xLabel: "update", yLabel: "codes (per batch)")
    plot.yRange = 0...(size * 1.04)  // a little headroom, so the codebook-size line clears the frame
    plot.width = 800
    plot.height = 480
    return plot.render()
  }
}

extension Report {
  /// `codebook-use.png` drawn from a metrics.jsonl (nil for a run without VQ code counts): the figure
  /// from outside the module, for tests.
  public static func codebookUse(metrics path: String, codebookSize: Int) throws -> Image? {
    try ReportFigures.codebookUse(readMetrics(path), codebookSize: codebookSize)
  }
}
