import Core
import Foundation
import GridWorld
import Imaging
import LAM
import NN
import Probing
import Training

/// What `lam report` should do.
public struct ReportOptions: Sendable {
  /// The run folder (from `lam train`).
  public var runDir: String
  /// The folder to write the pictures, summary.md, report.json and index.html to.
  public var out: String
  /// Replace `out` if it exists.
  public var force: Bool
  /// Seeds the choice of sample transitions and swap pairs.
  public var seed: UInt64
  /// How many (source, target) pairs the latent swap test decodes.
  public var swapPairs: Int

  public init(runDir: String, out: String? = nil, force: Bool = false, seed: UInt64 = 0, swapPairs: Int = 1000) {
    self.runDir = runDir
    self.out = out ?? runDir + "/report"
    self.force = force
    self.seed = seed
    self.swapPairs = swapPairs
  }
}

/// The numbers a report computed (also written to summary.md, report.json and index.html).
public struct ReportResult: Sendable {
  /// Names of the files written into the report folder, in order.
  public var files: [String]
  /// The checkpoint's step.
  public var step: Int
  /// Nearest-centroid accuracy of z_e -> agent action on the validation episodes.
  public var centroidActionAccuracy: Double
  /// Nearest-centroid accuracy of z_e -> each distractor's action [K].
  public var centroidDistractorAccuracies: [Double]
  /// The swap test: how often the agent in FDM(o_target, z_source) moved as the source's action would.
  public var counterfactual: SwapTestResult
}

/// `lam report`: pictures and a summary of what a trained LAM's latents do.
public enum Report {
  public static let summaryFile = "summary.md"

  /// Writes the report folder for `options.runDir` (`Files.writeFolder`: built aside, replaced only with `force`).
  public static func write(_ options: ReportOptions) throws -> ReportResult {
    let runDir = options.runDir
    try Check.range(options.swapPairs, "--pairs", 1...1_000_000)
    let run = try RunData.open(runDir, data: nil)
    let (model, config, step, split, info, data) = (run.model, run.config, run.step, run.split, run.info, run.dataset)
    let records = try readMetrics(runDir + "/" + TrainingRun.metricsFile)
    let probe = try ProbeResults.load(run: runDir)

    let inputs = TrainingRun.inputs(runDir)
      + [Files.Input(runDir + "/" + ProbeResults.file, flag: "run file"), Files.Input(info.data, flag: "dataset")]
    return try Files.writeFolder(options.out, force: options.force, inputs: inputs) { staging in
      var files: [String] = []
      func save(_ image: Image, _ name: String) throws {
        try PNG.write(image, to: staging + "/" + name)
        files.append(name)
      }
      var rng = RNG(seed: options.seed)
      let frame = data.frame
      let validation = data.transitions(of: split.validation)
      let training = data.transitions(of: split.train)
      let evaluated = sample(validation, count: 2000, rng: &rng)
      let fitted = sample(training, count: 4000, rng: &rng)
      let outputs = ModelOutputs(model: model, data: data, indices: evaluated)
      let fitOutputs = ModelOutputs(model: model, data: data, indices: fitted)

      if !records.isEmpty { try save(ReportFigures.losses(records, config: config), "losses.png") }
      if let size = config.model.bottleneck.codebookSize, let codebook = ReportFigures.codebookUse(records, codebookSize: size) {
        try save(codebook, "codebook-use.png")
      }
      try save(reconstructions(outputs, data: data, frame: frame), "reconstructions.png")

      // Confusion matrices: a nearest-centroid read-out of z_e, fitted on training transitions.
      let actionNames = Action.names
      let actionLabels = evaluated.map { data.actions[$0] }
      let actionCentroids = NearestCentroid(points: fitOutputs, labels: fitted.map { data.actions[$0] }, classes: 5)
      let actionCounts = actionCentroids.confusion(points: outputs, labels: actionLabels)
      try save(ReportFigures.confusion(actionCounts.map { $0.map(Double.init) }, names: actionNames,
                                       title: "Agent action from z: nearest centroid, % of row"),
               "confusion-action.png")
      // Every distractor, by the name probe.json and summary.md use: its action from z, then the probe's.
      let k = data.distractorCount
      let names = data.config.distractorNames
      let distractorActionNames = actionNames + ["teleport"]
      var distractorAccuracies: [Double] = []
      var distractorLabels: [[Int]] = []  // [K][evaluated]
      for j in 0..<k {
        let labels = evaluated.map { data.distractorActions[$0 * k + j] }
        distractorLabels.append(labels)
        let centroids = NearestCentroid(points: fitOutputs, labels: fitted.map { data.distractorActions[$0 * k + j] }, classes: 6)
        let counts = centroids.confusion(points: outputs, labels: labels)
        distractorAccuracies.append(accuracy(counts))
        try save(confusionWithoutTeleports(counts, title: "Distractor '\(names[j])' action from z: nearest centroid, % of row"),
                 "confusion-distractor-\(fileTag(j, names[j])).png")
        if let matrix = probe?.distractors[j].mlp.confusion, probe?.distractorNames == names {
          try save(confusionWithoutTeleports(matrix, title: "Distractor '\(names[j])' action probe (probe.json), % of row"),
                   "confusion-probe-distractor-\(fileTag(j, names[j])).png")
        }
      }
      if let matrix = probe?.action.mlp.confusion?.map({ $0.map(Double.init) }) {
        try save(ReportFigures.confusion(matrix, names: actionNames, title: "Agent action probe (probe.json), % of row"),
                 "confusion-probe.png")
      }
      if let probe { try save(ReportFigures.probes(probe), "probes.png") }

      // Latent scatter: z_e on its first two principal axes.
      let pca = try PCA(points: outputs.encoded, count: evaluated.count, dim: outputs.dz)
      let projected = (0..<evaluated.count).map { pca.project(outputs.encoded($0), components: min(2, outputs.dz)) }
      try save(ReportFigures.scatter(projected, classes: actionLabels, names: actionNames,
                                     title: "z (IDM output) by the agent's action, PCA", variance: pca.variances),
               "latents-action.png")
      for j in 0..<k {
        try save(ReportFigures.scatter(projected, classes: distractorLabels[j], names: distractorActionNames,
                                       title: "z (IDM output) by distractor '\(names[j])': its action, PCA", variance: pca.variances),
                 "latents-distractor-\(fileTag(j, names[j])).png")
      }
      let m = data.config.shake.maxPixels
      if data.config.shake.isActive {
        for (axis, offset) in [("dx", { (s: PixelOffset) in s.dx }), ("dy", { (s: PixelOffset) in s.dy })] {
          let classes = evaluated.map { offset(data.transition($0).shakeAfter) + m }
          try save(ReportFigures.scatter(projected, classes: classes, names: (-m...m).map { "\(axis) \($0)" },
                                         title: "z (IDM output) by the camera shake's \(axis) in o', PCA", variance: pca.variances),
                   "latents-shake-\(axis).png")
        }
      }

      let effects = try latentEffects(model: model, outputs: outputs, data: data, rng: &rng)
      try save(effects, "latent-effects.png")
      let swap = SwapTest.run(model: model, data: data, transitions: validation, pairs: options.swapPairs, rng: &rng)
      try save(SwapTest.examples(swap, data: data), "swap-examples.png")

      let result = ReportResult(files: files + [summaryFile, ReportNumbers.file, pageFile], step: step,
                                centroidActionAccuracy: accuracy(actionCounts),
                                centroidDistractorAccuracies: distractorAccuracies, counterfactual: swap)
      let text = summaryText(result, config: config, records: records, probe: probe, info: info, data: data)
      try Files.writeAtomically(Data(summary(text, distractorNames: names, files: files).utf8), to: staging + "/" + summaryFile)
      try Files.writeAtomically(StrictJSON.encode(ReportNumbers(result, distractorNames: names)),
                                to: staging + "/" + ReportNumbers.file)
      let html = try page(text, run: runDir, config: config, distractorNames: names, files: files, folder: staging)
      try Files.writeAtomically(Data(html.utf8), to: staging + "/" + pageFile)
      try data.frames.checkReads()  // before the staging folder replaces anything
      return result
    }
  }

  /// "2-red": distractor j's part of a file name (its index keeps names that differ only in punctuation apart).
  static func fileTag(_ j: Int, _ name: String) -> String {
    let slug = name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
    return "\(j + 1)-" + slug.split(separator: "-").joined(separator: "-")
  }

  /// A distractor action confusion figure; without teleports the last row and column are empty and left out.
  static func confusionWithoutTeleports(_ counts: [[Int]], title: String) -> Image {
    var matrix = counts.map { $0.map(Double.init) }
    var names = Action.names + ["teleport"]
    if matrix[5].allSatisfy({ $0 == 0 }) && matrix.allSatisfy({ $0[5] == 0 }) {
      matrix = matrix.prefix(5).map { Array($0.prefix(5)) }
      names.removeLast()
    }
    return ReportFigures.confusion(matrix, names: names, title: title)
  }

  static func sample(_ list: [Int], count: Int, rng: inout RNG) -> [Int] {
    guard list.count > count else { return list }
    var copy = list
    rng.shuffle(&copy)
    return Array(copy.prefix(count)).sorted()
  }

  static func accuracy(_ counts: [[Int]]) -> Double {
    let total = counts.joined().reduce(0, +)
    return total == 0 ? 0 : Double(counts.indices.reduce(0) { $0 + counts[$1][$1] }) / Double(total)
  }

  static func readMetrics(_ path: String) throws -> [MetricsRecord] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return try text.split(separator: "\n").enumerated().map { line, json in
      try StrictJSON.decode(MetricsRecord.self, from: Data(json.utf8), source: "\(path) line \(line + 1)")
    }
  }

  /// Two validation transitions of each action side by side in the action's row: o, o', predicted o', and the
  /// signed error, captioned with where the transition comes from; notes under the grid give the error's scale.
  static func reconstructions(_ outputs: ModelOutputs, data: Dataset, frame: FrameShape) -> Image {
    let n = data.frameSize
    var rows: [String] = []
    var chosen: [[(row: Int, index: Int)]] = []  // [actions][up to 2]
    for action in Action.allCases {
      let rowsOfAction = outputs.indices.enumerated().filter { data.actions[$0.element] == action.rawValue }.prefix(2)
      chosen.append(rowsOfAction.map { (row: $0.offset, index: $0.element) })
    }
    var errors: [[Float]] = []
    var frames: [(o: [Float], next: [Float])] = []
    for (row, index) in chosen.joined() {
      let (e, t) = (index / data.steps, index % data.steps)
      let o = data.frame(episode: e, step: t), next = data.frame(episode: e, step: t + 1)
      frames.append((o, next))
      errors.append((0..<n).map { outputs.predicted[row * n + $0] - next[$0] })
    }
    // Finite errors only: a model with huge weights can predict inf - inf.
    let limit = max(Double(errors.joined().lazy.filter(\.isFinite).map { abs($0) }.max() ?? 0), 1e-3)
    var blocks: [[Image]] = [], captions: [[String]] = []
    var i = 0
    for (action, examples) in zip(Action.allCases, chosen) where !examples.isEmpty {
      rows.append(action.name)
      for (slot, (row, index)) in examples.enumerated() {
        blocks.append([ReportFigures.tile(frames[i].o[...], frame), ReportFigures.tile(frames[i].next[...], frame),
                       ReportFigures.tile(outputs.predicted[(row * n)..<((row + 1) * n)], frame),
                       ReportFigures.errorTile(errors[i], frame, limit: limit)])
        captions.append(["ep \(index / data.steps) t \(index % data.steps)", data.moved[index] ? "" : "(no move)", "", ""])
        i += 1
        // An action with one example leaves the second place of its row empty.
        if examples.count == 1 && slot == 0 {
          blocks.append([])
          captions.append([])
        }
      }
    }
    var grid = ReportFigures.blocks(blocks, captions: captions, across: 2,
                                    title: "Reconstructions of validation transitions, two per action", rowLabels: rows,
                                    columnLabels: ["o", "o' (true)", "predicted o'", String(format: "error, scale ±%.2g", limit)])
    grid.footer = [
      "Rows: the agent's action. ep, t: the transition's episode and step; (no move): the agent did not move (blocked).",
      "error = predicted o' - true o', mean over colour channels: blue below zero (too dark), white 0, red above (too bright).",
      String(format: "Its colour scale spans -%.2g to +%.2g in pixel values (a pixel runs from 0, black, to 1, full colour): ", limit, limit)
        + "the largest |error| in the figure.",
    ]
    return grid.render()
  }

  /// FDM(o, z) from a few frames for each code (discrete kinds) or each principal direction of z at -2, -1, +1, +2 std.
  static func latentEffects(model: LatentActionModel, outputs: ModelOutputs, data: Dataset, rng: inout RNG) throws -> Image {
    let frame = data.frame, n = data.frameSize, dz = outputs.dz
    let rows = Array(sample(Array(outputs.indices.indices), count: 3, rng: &rng))
    var latents: [[Float]] = [], columnLabels: [String] = []
    var title: String
    var perRow = 4  // latents per picture row: all codes, or the four steps along one axis
    // Up to 16 codes are shown one by one; more (a large FSQ grid) and the continuous kinds by principal axes.
    let shownCodes = (model.config.bottleneck.codebookSize ?? .max) <= 16 ? model.codeLatents : nil
    if let codes = shownCodes {
      latents = codes
      columnLabels = (0..<codes.count).map { "code \($0)" }
      perRow = codes.count
      title = "What each code does: FDM(o, code) from the same frames"
    } else {
      let pca = try PCA(points: outputs.latent, count: outputs.indices.count, dim: dz)
      for axis in 0..<min(dz, 4) {
        for s in [-2.0, -1.0, 1.0, 2.0] {
          latents.append(pca.point(alongAxis: axis, steps: s))
          columnLabels.append("PC\(axis + 1) \(s > 0 ? "+" : "")\(Int(s))σ")
        }
      }
      title = "What each latent direction does: FDM(o, mean z + s σ along a principal axis)"
    }
    let o = Tensor([rows.count * latents.count] + data.frameShape)  // [F * L, C, H, W]
    let z = Tensor([rows.count * latents.count, dz])  // [F * L, dz]
    for (r, row) in rows.enumerated() {
      let index = outputs.indices[row]
      for l in latents.indices {
        data.copyFrame(episode: index / data.steps, step: index % data.steps, into: o.data + (r * latents.count + l) * n)
        for j in 0..<dz { z.data[(r * latents.count + l) * dz + j] = latents[l][j] }
      }
    }
    let predicted = model.decode(o, latent: z).array
    var blocks: [[Image]] = [], captions: [[String]] = [], labels: [String] = []
    let env = data.config, region = env.agentRegion
    for (r, row) in rows.enumerated() {
      let index = outputs.indices[row]
      let base = data.frame(episode: index / data.steps, step: index % data.steps)
      let agent = data.transition(index).agentBefore
      for group in stride(from: 0, to: latents.count, by: perRow) {
        var block = [ReportFigures.tile(base[...], frame)], texts = ["agent at \(agent)"]
        for l in group..<min(group + perRow, latents.count) {
          let slice = predicted[((r * latents.count + l) * n)..<((r * latents.count + l + 1) * n)]
          block.append(ReportFigures.tile(slice, frame))
          let cell = AgentMove.locate(in: slice, base: base[...], agentAt: agent, region: region,
                                      colour: env.agent.color.expanded(channels: frame.channels),
                                      background: env.grid.background.expanded(channels: frame.channels),
                                      height: frame.height, width: frame.width, cellSize: env.grid.cellSize)
          texts.append("\(columnLabels[l]): \(AgentMove.action(from: agent, to: cell)?.name ?? "jump")")
        }
        blocks.append(block)
        captions.append(texts)
      }
      // Two axes side by side per picture row; a frame starts a new row.
      let groups = (latents.count + perRow - 1) / perRow
      if groups > 1 && groups % 2 == 1 {
        blocks.append([])
        captions.append([])
      }
      labels += Array(repeating: "frame \(r + 1)", count: groups > 1 ? (groups + 1) / 2 : 1)
    }
    let across = perRow == latents.count ? 1 : 2
    var grid = ReportFigures.blocks(blocks, captions: captions, across: across, title: title, rowLabels: labels,
                                    columnLabels: [])
    grid.footer = [
      "Each group: a validation frame o (first; the agent's cell as (row, col), from (0, 0) at the top left), then the FDM's",
      "prediction from o with each latent. A caption names the latent and the agent's move found in that prediction:",
      "stay, up, down, left or right; jump: the agent shows up more than one cell away, a change no single action makes.",
    ]
    if shownCodes == nil {
      grid.footer.append("PCk ±s σ: the mean latent plus s standard deviations along the k-th principal axis of the validation latents.")
    }
    return grid.render()
  }
}
