import Imaging
import Probing

extension ReportFigures {
  /// The grey line marking each target's chance levels in `probes`.
  static let chanceColour = Colour(gray: 150)
  /// The black line marking each target's ceiling in `probes`.
  static let ceilingColour = Colour.black

  /// Every probe of probe.json in the order `lam probe` prints them: for each target the MLP's held-out
  /// accuracy and balanced accuracy as bars, with the target's chance marked over each bar (`chance` over the
  /// accuracy, `balanced_chance` over the balanced accuracy) and its ceiling, when it has one, over the accuracy.
  static func probes(_ probe: ProbeResults) -> Image {
    var targets: [(name: String, target: ProbeTarget)] = [("action", probe.action)]
    targets += zip(probe.distractorNames, probe.distractors).map { ("'\($0)' action", $1) }
    targets += zip(probe.distractorNames, probe.distractorPositions).map { ("'\($0)' cell", $1) }
    targets.append(("agent cell", probe.position))
    if let dx = probe.shakeDx { targets.append(("shake dx", dx)) }
    if let dy = probe.shakeDy { targets.append(("shake dy", dy)) }

    let series = [
      BarChart.Series(name: "MLP accuracy", values: targets.map(\.target.mlp.testAccuracy), colour: Palette.colour(0)),
      BarChart.Series(name: "MLP balanced accuracy", values: targets.map(\.target.mlp.balancedAccuracy),
                      colour: Palette.colour(1)),
    ]
    var chart = BarChart(categories: targets.map(\.name), series: series,
                         title: "Probes of the latent (MLP, held-out): bars, chance and ceiling",
                         xLabel: "probe target", yLabel: "held-out score")
    chart.marks = [BarChart.Mark(name: "chance (constant answer)", colour: chanceColour,
                                 values: targets.map { [$0.target.chance, $0.target.balancedChance] })]
    if targets.contains(where: { $0.target.ceiling != nil }) {
      chart.marks.append(BarChart.Mark(name: "ceiling (of the accuracy)", colour: ceilingColour,
                                       values: targets.map { [$0.target.ceiling ?? .nan, .nan] }))
    }
    chart.yRange = 0...1
    // 120 pixels per target, and never narrower than the title (drawn at twice the text size) with margins.
    chart.width = max(120 * targets.count, Font.textWidth(chart.title, scale: 2) + 40, 640)
    chart.height = 440
    return chart.render()
  }
}

extension Report {
  /// `probes.png` drawn from probe.json's results: the figure from outside the module, for tests.
  public static func probesFigure(_ probe: ProbeResults) -> Image { ReportFigures.probes(probe) }

  /// The exact colours of the chance and ceiling marks in `probes.png`.
  public static let probeMarkColours = (chance: ReportFigures.chanceColour, ceiling: ReportFigures.ceilingColour)
}
