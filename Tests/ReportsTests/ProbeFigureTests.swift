import Core
import Foundation
import Imaging
import Probing
import Reports
import Testing

/// One probe target of probe.json: MLP accuracy and balanced accuracy, chance and (when given) ceiling.
private func target(accuracy: Double, balanced: Double, chance: Double, balancedChance: Double, ceiling: Double? = nil) -> String {
  let score = #"{"test_accuracy": \#(accuracy), "balanced_accuracy": \#(balanced), "nmi": 0.3}"#
  return #"{"linear": \#(score), "mlp": \#(score), "chance": \#(chance), "balanced_chance": \#(balancedChance)"#
    + (ceiling.map { #", "ceiling": \#($0)"# } ?? "") + "}"
}

/// A probe.json (format_version 2) with `distractors` distractors, the shake axes when `shake`, and ceilings on the
/// agent's and every distractor's action when `ceilings`.
private func results(distractors: Int, shake: Bool = false, ceilings: Bool = true) throws -> ProbeResults {
  let names = (0..<distractors).map { #""d\#($0)""# }.joined(separator: ", ")
  let actions = Array(repeating: target(accuracy: 0.3, balanced: 0.25, chance: 0.35, balancedChance: 1.0 / 6,
                                        ceiling: ceilings ? 0.9 : nil), count: distractors)
  let cells = Array(repeating: target(accuracy: 0.6, balanced: 0.5, chance: 0.2, balancedChance: 0.1), count: distractors)
  let losses = Array(repeating: "0.5", count: distractors).joined(separator: ", ")
  let axis = target(accuracy: 0.4, balanced: 0.3, chance: 0.3, balancedChance: 0.2)
  let json = """
    {"format_version": 2, "verdict": "", "latent": "pre-quantization", "train_transitions": 100, "test_transitions": 25,
     "action": \(target(accuracy: 0.7, balanced: 0.65, chance: 0.25, balancedChance: 0.2, ceiling: ceilings ? 0.8 : nil)),
     "distractor_names": [\(names)], "distractors": [\(actions.joined(separator: ", "))],
     "distractor_positions": [\(cells.joined(separator: ", "))],
     "position": \(target(accuracy: 0.5, balanced: 0.45, chance: 0.1, balancedChance: 0.0625)),
    """ + (shake ? #" "shake_dx": \#(axis), "shake_dy": \#(axis),"# : "") + """
     "paper": {"distractor_losses": [\(losses)], "distractor_losses_shuffled": [\(losses)]}}
    """
  return try StrictJSON.decode(ProbeResults.self, from: Data(json.utf8), source: "test")
}

@Test func probesFigureWidensWith120PixelsPerTargetBeyondItsTitlesWidth() throws {
  // Targets: the action, each distractor's action and cell, the agent's cell, then the two shake axes.
  let four = Report.probesFigure(try results(distractors: 1))
  let ten = Report.probesFigure(try results(distractors: 4))
  let twelve = Report.probesFigure(try results(distractors: 4, shake: true))
  #expect(four.width == 784)  // the title: 62 characters of 12 pixels, and 20 pixels either side
  #expect(ten.width == 1200)
  #expect(twelve.width == 1440)
  #expect(four.height == twelve.height)
}

@Test func probesFigureMarksEveryChanceInGreyAndEachCeilingInBlack() throws {
  let colours = Report.probeMarkColours
  let with = Report.probesFigure(try results(distractors: 2))
  let without = Report.probesFigure(try results(distractors: 2, ceilings: false))
  // 6 targets on 784 pixels: bars about 45 pixels wide, each mark 2 pixels high across its bar.
  let chance = count(colours.chance, in: with)
  #expect(chance > 12 * 2 * 30, "chance: \(chance) pixels for 12 bars")  // one over each of the 12 bars
  #expect(count(colours.chance, in: without) > 12 * 2 * 30)
  // The action and the two distractors' actions have a ceiling; nothing else in the figure is black.
  let ceiling = count(colours.ceiling, in: with)
  #expect(count(colours.ceiling, in: without) == 0)
  #expect(ceiling > 3 * 2 * 30, "ceiling: \(ceiling) pixels for 3 bars")
}

@Test func probesFigureDrawsTheChanceMarkAtTheChanceLevel() throws {
  // One distractor, no shake: the action's accuracy bar is the first bar; its chance 0.25 sits a quarter of the way
  // up the 0...1 axis, so a row of the first category's grey lies well below the middle of the data area.
  let image = Report.probesFigure(try results(distractors: 1))
  let grey = Report.probeMarkColours.chance
  var rows: [Int: Int] = [:]  // row -> grey pixels in the left quarter of the image
  for y in 0..<image.height {
    for x in 0..<(image.width / 4) where image.pixel(x: x, y: y) == grey { rows[y, default: 0] += 1 }
  }
  let marked = rows.filter { $0.value >= 20 }.keys.sorted()
  #expect(!marked.isEmpty)
  // Two marks (chance 0.25 over the accuracy, balanced chance 0.2 over the balanced accuracy), each 2 rows high.
  #expect(marked.count == 4, "rows with grey: \(marked)")
  if let top = marked.first, let bottom = marked.last {
    #expect(bottom - top > 4 && bottom - top < 40, "the two chance marks are close but apart: \(marked)")
    #expect(top > image.height / 2)
  }
}
