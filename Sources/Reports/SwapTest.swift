import Core
import GridWorld
import Imaging
import LAM
import NN
import Probing
import Training

/// One decoded swap: z of the source transition, decoded on the target transition's first frame.
public struct SwapPair: Sendable {
  public var source: Int
  public var target: Int
  /// The source's effective action: its action if the agent moved, else stay.
  public var sourceAction: Action
  /// Where the source action takes the target's agent (walls and blocking distractors included).
  public var expected: Cell
  /// Where the agent is in FDM(o_target, z_source).
  public var found: Cell
  /// Where the target's agent really went (its own action).
  public var targetNext: Cell
  /// Where the target's agent is before the step.
  public var targetBefore: Cell
  /// Where the source's agent went: a latent that copies o' puts the agent here, whatever the target frame.
  public var sourceNext: Cell
  public var predicted: [Float]  // [C, H, W]

  /// Whether the source's move is blocked on the target's frame (a wall or a blocking distractor): the agent
  /// must stay, a case training never shows the decoder with a move's latent, since a blocked move looks
  /// like staying to the encoder.
  public var isBlocked: Bool { sourceAction != .stay && expected == targetBefore }

  public init(source: Int, target: Int, sourceAction: Action, expected: Cell, found: Cell, targetNext: Cell,
              targetBefore: Cell, sourceNext: Cell, predicted: [Float]) {
    self.source = source
    self.target = target
    self.sourceAction = sourceAction
    self.expected = expected
    self.found = found
    self.targetNext = targetNext
    self.targetBefore = targetBefore
    self.sourceNext = sourceNext
    self.predicted = predicted
  }
}

/// The latent swap test's outcome.
public struct SwapTestResult: Sendable {
  public var pairs: [SwapPair]
  /// Fraction of pairs whose predicted agent cell is the source action's cell.
  public var accuracy: Double { fraction { $0.found == $0.expected } }
  /// Fraction whose predicted agent cell is where the target's own action took it (the latent ignored).
  public var followsTarget: Double { fraction { $0.found == $0.targetNext } }
  /// Fraction whose predicted agent cell is the source's own next cell (the latent holds a position, not a move).
  public var followsSourceCell: Double { fraction { $0.found == $0.sourceNext } }
  /// How many pairs' source move is blocked on the target's frame.
  public var blockedCount: Int { pairs.filter(\.isBlocked).count }
  /// Accuracy over the pairs whose source move is blocked on the target's frame; nil when there are none.
  public var accuracyBlocked: Double? { accuracy(where: \.isBlocked) }
  /// Accuracy over the other pairs (stays and moves the target's frame allows); nil when there are none.
  public var accuracyUnblocked: Double? { accuracy(where: { !$0.isBlocked }) }
  /// Accuracy per source action (stay, up, down, left, right); nil where no pair had it.
  public var accuracyByAction: [Double?] {
    Action.allCases.map { a in accuracy(where: { $0.sourceAction == a }) }
  }

  public init(pairs: [SwapPair]) { self.pairs = pairs }

  private func accuracy(where include: (SwapPair) -> Bool) -> Double? {
    let subset = pairs.filter(include)
    return subset.isEmpty ? nil : Double(subset.filter { $0.found == $0.expected }.count) / Double(subset.count)
  }

  private func fraction(_ test: (SwapPair) -> Bool) -> Double {
    pairs.isEmpty ? 0 : Double(pairs.filter(test).count) / Double(pairs.count)
  }
}

/// Counterfactual decoding: does the latent of one transition make the agent of another frame do the same thing?
public enum SwapTest {
  /// Decodes `pairs` random (source, target) pairs drawn from `transitions` and locates the agent in each prediction.
  public static func run(model: LatentActionModel, data: Dataset, transitions: [Int], pairs count: Int,
                         rng: inout RNG) -> SwapTestResult {
    let sources = (0..<count).map { _ in transitions[rng.int(below: transitions.count)] }
    let targets = (0..<count).map { _ in transitions[rng.int(below: transitions.count)] }
    let n = data.frameSize, dz = model.config.bottleneck.dz
    let env = data.config, frame = data.frame
    let colour = env.agent.color.expanded(channels: frame.channels)
    let background = env.grid.background.expanded(channels: frame.channels)
    var blockingGroup: [Bool] = []  // [K] whether distractor j blocks the agent
    for group in env.distractors { blockingGroup += Array(repeating: !group.overlapAgent, count: group.count) }
    let latents = ModelOutputs(model: model, data: data, indices: sources).latent  // [P, dz]
    let o = Tensor([0]), next = Tensor([0])  // [B, C, H, W]
    let z = Tensor([0])  // [B, dz]
    var result: [SwapPair] = []
    for start in stride(from: 0, to: count, by: 256) {
      let batch = Array(start..<min(start + 256, count))
      data.gather(batch.map { targets[$0] }, o: o, next: next)
      z.resize([batch.count, dz])
      for (row, p) in batch.enumerated() { for j in 0..<dz { z.data[row * dz + j] = latents[p * dz + j] } }
      let predicted = model.decode(o, latent: z).array
      let bases = o.array
      for (row, p) in batch.enumerated() {
        let source = data.transition(sources[p]), target = data.transition(targets[p])
        let action: Action = source.moved ? source.action : .stay
        let blocked = Set(target.distractorsBefore.enumerated().filter { blockingGroup[$0.offset] }.map(\.element))
        let expected = AgentMove.expectedCell(from: target.agentBefore, action: action, region: env.agentRegion,
                                              blocked: blocked)
        let slice = predicted[(row * n)..<((row + 1) * n)]
        let found = AgentMove.locate(in: slice, base: bases[(row * n)..<((row + 1) * n)], agentAt: target.agentBefore,
                                     region: env.agentRegion, colour: colour, background: background,
                                     height: frame.height, width: frame.width, cellSize: env.grid.cellSize)
        result.append(SwapPair(source: sources[p], target: targets[p], sourceAction: action, expected: expected,
                               found: found, targetNext: target.agentAfter, targetBefore: target.agentBefore,
                               sourceNext: source.agentAfter, predicted: Array(slice)))
      }
    }
    return SwapTestResult(pairs: result)
  }

  /// A picture of the first two swaps of each source action, side by side in the action's row: source o, o',
  /// target o, FDM(target o, source z), with the expected and found agent cells under the last two.
  static func examples(_ result: SwapTestResult, data: Dataset) -> Image {
    let frame = data.frame
    var blocks: [[Image]] = [], captions: [[String]] = [], labels: [String] = []
    for action in Action.allCases {
      let pairs = Array(result.pairs.filter({ $0.sourceAction == action }).prefix(2))
      guard !pairs.isEmpty else { continue }
      labels.append("source " + action.name)
      for pair in pairs {
        let (se, st) = (pair.source / data.steps, pair.source % data.steps)
        let (te, tt) = (pair.target / data.steps, pair.target % data.steps)
        blocks.append([ReportFigures.tile(data.frame(episode: se, step: st)[...], frame),
                       ReportFigures.tile(data.frame(episode: se, step: st + 1)[...], frame),
                       ReportFigures.tile(data.frame(episode: te, step: tt)[...], frame),
                       ReportFigures.tile(pair.predicted[...], frame)])
        captions.append(["", "", "want \(pair.expected)", "got \(pair.found)" + (pair.found == pair.expected ? "" : " MISS")])
      }
      // An action with one pair leaves the second place of its row empty.
      if pairs.count == 1 {
        blocks.append([])
        captions.append([])
      }
    }
    var grid = ReportFigures.blocks(blocks, captions: captions, across: 2,
                                    title: String(format: "Latent swap: %.1f%% of %d pairs move as the source's action",
                                                  100 * result.accuracy, result.pairs.count),
                                    rowLabels: labels, columnLabels: ["source o", "source o'", "target o", "prediction"])
    grid.footer = [
      "prediction = FDM(target o, z of the source transition): the source's latent decoded on another frame.",
      "Cells are (row, col), from (0, 0) at the top left. want: where the source's action takes the target's agent",
      "(a move into a wall or a blocking distractor stays); got: the agent's cell in the prediction; MISS: they differ.",
    ]
    return grid.render()
  }
}
