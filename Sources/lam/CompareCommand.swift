import ArgumentParser
import Reports

/// `lam compare`: two or more runs side by side.
struct CompareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Compare runs: overlaid training curves, key metrics side by side and the config fields they differ in.",
    discussion: "Writes compare.md, curves-*.png, probes.png and a self-contained index.html into --out (README.md, `lam compare`). Reads probe.json and report/report.json when present; blank cells where a run has none.")

  @Argument(help: "Two or more run folders (from `lam train`).")
  var runs: [String] = []

  @OptionGroup var output: OutputFolder

  func run() throws {
    let options = CompareOptions(runs: runs, out: try output.required("the comparison folder"), force: output.force)
    let result = try Compare.write(options)
    print("runs: " + zip(result.labels, runs).map { "\($0) (\($1))" }.joined(separator: ", "))
    print(result.differingKeys.isEmpty ? "the configs are the same"
          : "config differences: " + result.differingKeys.joined(separator: ", "))
    print("wrote \(result.files.count) files to \(options.out)")
  }
}
