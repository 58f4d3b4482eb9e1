import Core
import GridWorld
import LAM
import NN

extension Dataset {
  /// The frame shape as the models see it.
  public var frame: FrameShape { FrameShape(channels: frameShape[0], height: frameShape[1], width: frameShape[2]) }

  /// Every transition of the given episodes, in order (flat indices e * T + t).
  public func transitions(of episodeList: [Int]) -> [Int] {
    episodeList.flatMap { e in (e * steps)..<((e + 1) * steps) }
  }

  /// Fills o and o' [N, C, H, W] with the transitions `indices` (values in [0, 1]).
  public func gather(_ indices: [Int], o: Tensor, next: Tensor) {
    let shape = [indices.count] + frameShape
    o.resize(shape)
    next.resize(shape)
    gatherPairs(indices, o: o.data, next: next.data)
  }

  /// This dataset's episodes followed by `other`'s (same frame shape, steps and distractor count), under
  /// `other`'s environment config.
  public func appending(_ other: Dataset) -> Dataset {
    Dataset(config: other.config, source: source + " + " + other.source, seed: seed, episodes: episodes + other.episodes,
            steps: steps, frames: frames.appending(other.frames), actions: actions + other.actions, moved: moved + other.moved,
            agentPositions: agentPositions + other.agentPositions,
            distractorActions: distractorActions + other.distractorActions,
            distractorPositions: distractorPositions + other.distractorPositions, shake: shake + other.shake,
            exogenousChange: exogenousChange + other.exogenousChange)
  }

  /// The mean absolute pixel difference of a transition: the cleaning score for data without a
  /// ground-truth exogenous change (it counts the agent's own change too).
  public func frameDifference(_ index: Int) -> Float {
    let size = frameSize
    let base = (index / steps * (steps + 1) + index % steps) * size
    return frames.withBytes(base..<(base + 2 * size)) { pair in
      var sum = 0
      for j in 0..<size { sum += abs(Int(pair[j]) - Int(pair[size + j])) }
      return Float(sum) / Float(size) / 255
    }
  }
}

/// Which episodes train, which validate, and which training episodes carry action labels.
public struct EpisodeSplit: Codable, Equatable, Sendable {
  public var train: [Int]
  public var validation: [Int]
  public var labelled: [Int]

  public init(train: [Int], validation: [Int], labelled: [Int]) {
    self.train = train
    self.validation = validation
    self.labelled = labelled
  }

  /// A seeded split: a random `valFraction` of the episodes (at least one, and at least one left to
  /// train) validate; a random `labelFraction` of the training episodes are labelled.
  public static func make(episodes: Int, valFraction: Double, labelFraction: Double, seed: UInt64) throws -> EpisodeSplit {
    try Check.that(episodes >= 2, "dataset episodes", "at least 2 episodes (one to train, one to validate), got \(episodes)")
    // The fractions are checked here too, not only with the config: Int(x) of a huge product would trap.
    try Check.that(valFraction > 0 && valFraction < 1, "train.valFraction", "a value in (0, 1), got \(valFraction)")
    try Check.range(labelFraction, "remedies.labelFraction", 0...1)
    var rng = RNG(seed: seed ^ 0x5151_7E57)
    var order = Array(0..<episodes)
    rng.shuffle(&order)
    let nVal = min(max(1, Int((Double(episodes) * valFraction).rounded())), episodes - 1)
    let validation = Array(order.prefix(nVal)).sorted()
    let train = Array(order.dropFirst(nVal))
    let nLabelled = Int((Double(train.count) * labelFraction).rounded(.up))
    let labelled = Array(train.prefix(labelFraction > 0 ? max(1, nLabelled) : 0)).sorted()
    return EpisodeSplit(train: train.sorted(), validation: validation, labelled: labelled)
  }

  /// Checks that the split can index `episodes` episodes: every index in range and listed once, training
  /// and validation episodes disjoint and neither empty, labelled episodes among the training ones.
  public func validate(episodes: Int, file: String? = nil) throws {
    for (field, list) in [("train", train), ("validation", validation), ("labelled", labelled)] {
      if let bad = list.first(where: { !(0..<episodes).contains($0) }) {
        throw LamError("\(file.map { "\($0): " } ?? "")\(field): episode \(bad) is not among the dataset's 0...\(episodes - 1)")
      }
      try Check.that(Set(list).count == list.count, field, "each episode at most once", file: file)
    }
    try Check.that(!train.isEmpty && !validation.isEmpty, "train, validation", "at least one episode each", file: file)
    try Check.that(Set(train).isDisjoint(with: validation), "validation", "no training episode", file: file)
    try Check.that(Set(labelled).isSubset(of: train), "labelled", "training episodes only", file: file)
  }
}
