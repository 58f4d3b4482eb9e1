import Foundation
import Imaging
import Reports
import Testing
import TestSupport

/// A metrics.jsonl as training writes it, one line per (step, codes used, perplexity); nil codes
/// leave out `codes_used` and `perplexity`, as a continuous run does.
private func metricsFile(_ rows: [(step: Int, codes: Int?, perplexity: Float?)], name: String = #function) throws -> String {
  let lines = rows.map { row in
    var line = #"{"step": \#(row.step), "loss": 0.5, "recon": 0.4, "bottleneck": 0.1, "label": 0, "#
      + #""grad_norm": 1.5, "samples_per_s": 1000"#
    if let codes = row.codes { line += #", "codes_used": \#(codes)"# }
    if let p = row.perplexity { line += #", "perplexity": \#(p)"# }
    return line + "}"
  }
  let path = makeTemporaryFolder(name) + "/metrics.jsonl"
  try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
  return path
}

/// How many pixels of `image` are exactly `colour` (the report figure tests share it).
func count(_ colour: Colour, in image: Image) -> Int {
  var n = 0
  for y in 0..<image.height {
    for x in 0..<image.width where image.pixel(x: x, y: y) == colour { n += 1 }
  }
  return n
}

@Test func codebookFigureOfAVQRunDrawsCodesUsedAndPerplexity() throws {
  // A collapse: all 8 codes at first, one code from step 100 on.
  let rows = stride(from: 0, through: 400, by: 10).map { step in
    step < 100 ? (step: step, codes: 8, perplexity: Float(6.5)) : (step: step, codes: 1, perplexity: Float(1))
  }
  let image = try #require(try Report.codebookUse(metrics: metricsFile(rows), codebookSize: 8))
  #expect(image.width == 800 && image.height == 480)
  // Each line is drawn in its own colour (the legend alone holds a few dozen pixels of each).
  let codes = count(Palette.colour(0), in: image), perplexity = count(Palette.colour(1), in: image)
  let size = count(Colour(gray: 110), in: image)  // the dashed codebook-size line
  #expect(codes > 200, "codes used: \(codes) pixels")
  #expect(perplexity > 400, "perplexity: \(perplexity) pixels")
  #expect(size > 150, "codebook size: \(size) pixels")
}

@Test func codebookFigureOfAContinuousRunIsNil() throws {
  let rows = stride(from: 0, through: 100, by: 10).map { (step: $0, codes: Int?.none, perplexity: Float?.none) }
  #expect(try Report.codebookUse(metrics: metricsFile(rows), codebookSize: 8) == nil)
  #expect(try Report.codebookUse(metrics: makeTemporaryFolder() + "/missing.jsonl", codebookSize: 8) == nil)
}
