import Core
import Foundation

/// The rows `lam linear` writes to results.csv and prints with --json: one per run, its parameters
/// then its measurements (the `pca_` columns are the closed-form PCA latent's).
public enum LinearTable {
  public static let columns = [
    "setting", "d_o", "d_a", "d_b", "d_z", "sigma", "chi", "learn_a", "tie_d", "kappa", "label_fraction",
    "label_weight", "clean", "batch", "steps", "lr", "probe", "probe_train", "probe_eval", "eval_noise_free",
    "eval_random_actions", "seed",
    "action_mse", "obs_mse", "noise_mse", "recon_mse", "llo", "angle_deg",
    "pca_action_mse", "pca_obs_mse", "pca_noise_mse", "pca_recon_mse", "pca_llo",
  ]

  /// One cell: numbers keep their type in JSON; CSV shows every cell as text.
  public enum Cell: Equatable, Sendable {
    case text(String)
    case integer(Int)
    case number(Double)
    case flag(Bool)

    public var csv: String {
      switch self {
      case .text(let s): return s
      case .integer(let i): return String(i)
      case .number(let x): return formatNumber(x)
      case .flag(let b): return b ? "true" : "false"
      }
    }
  }

  /// The cells of one result, in `columns` order.
  public static func cells(_ r: LinearResult) -> [Cell] {
    let c = r.config
    return [
      .text(c.setting.rawValue), .integer(c.observationDim), .integer(c.actionDim), .integer(c.agentDim),
      .integer(c.latentDim), .number(c.sigma), .number(c.chi), .flag(c.learnA), .flag(c.tieD), .number(c.kappa),
      .number(c.labelFraction), .number(c.labelWeight), .number(c.cleanFraction), .integer(c.batchSize),
      .integer(c.steps), .number(c.learningRate), .text(c.probe.rawValue), .integer(c.probeTrainSize),
      .integer(c.probeEvalSize), .flag(c.evalNoiseFree), .flag(c.evalRandomActions), .integer(Int(c.seed)),
      .number(r.trained.actionMSE), .number(r.trained.observationMSE), .number(r.trained.noiseMSE),
      .number(r.trained.reconstructionMSE), .number(r.trained.llo), .number(r.largestAngleDegrees),
      .number(r.pca.actionMSE), .number(r.pca.observationMSE), .number(r.pca.noiseMSE),
      .number(r.pca.reconstructionMSE), .number(r.pca.llo),
    ]
  }

  /// A header row, then one row per result.
  public static func csv(_ results: [LinearResult]) -> String {
    var lines = [columns.joined(separator: ",")]
    for r in results { lines.append(cells(r).map(\.csv).joined(separator: ",")) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The same rows as a JSON array of objects keyed by column name.
  public static func json(_ results: [LinearResult]) throws -> Data {
    try StrictJSON.encode(results.map { Row(cells: cells($0)) })
  }

  private struct Row: Encodable {
    let cells: [Cell]
    func encode(to encoder: Encoder) throws {
      var container = encoder.container(keyedBy: AnyCodingKey.self)
      for (name, cell) in zip(LinearTable.columns, cells) {
        let key = AnyCodingKey(name)
        switch cell {
        case .text(let s): try container.encode(s, forKey: key)
        case .integer(let i): try container.encode(i, forKey: key)
        case .number(let x): try container.encode(Double(formatNumber(x)) ?? x, forKey: key)
        case .flag(let b): try container.encode(b, forKey: key)
        }
      }
    }
  }
}

/// Six significant digits: enough for any metric here, and identical text run to run.
func formatNumber(_ x: Double) -> String {
  if x == x.rounded() && abs(x) < 1e9 { return String(Int(x)) }
  return String(format: "%.6g", x)
}
