import Core
import Foundation
import Training

extension Report {
  /// The report folder's page: what summary.md says, every picture embedded, and the run's config.
  public static let pageFile = "index.html"

  /// index.html for the report folder `folder` (the PNGs in `files` are read from it and embedded): the
  /// verdict, the key numbers, every picture with the caption summary.md gives it, then the run's config.
  static func page(_ text: ReportSummary, run runDir: String, config: RunConfig, distractorNames names: [String],
                   files: [String], folder: String) throws -> String {
    let runName = URL(fileURLWithPath: runDir).standardizedFileURL.lastPathComponent
    var page = HTMLPage(title: "\(runName): \(text.title)")
    page.paragraph(text.verdict, emphasis: "Verdict:")
    page.heading(text.title, level: 1)
    page.paragraph("Run `\(runDir)`. " + text.data)
    page.heading("Key numbers")
    page.table(header: ["measure", "value"], rows: text.keyNumbers.map { [$0.measure, $0.value] })
    for note in text.notes { page.paragraph(note) }
    page.heading("Pictures")
    let captioned = captions(distractorNames: names).filter { files.contains($0.0) }
    // A picture without a caption line still belongs on the page.
    let others = files.filter { file in file.hasSuffix(".png") && !captioned.contains { $0.0 == file } }.map { ($0, "") }
    for (file, caption) in captioned + others {
      page.figure(png: try readFile(folder + "/" + file), name: file, caption: caption)
    }
    page.heading("Config")
    page.paragraph("The run's `\(TrainingRun.configFile)`, every field with its value:")
    page.preformatted(String(decoding: try StrictJSON.encode(config), as: UTF8.self))
    return page.html
  }

  /// The bytes of a file lam just wrote (or a run's file), or a one-line error naming it.
  static func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw LamError("\(path): cannot read the file") }
    return data
  }
}
