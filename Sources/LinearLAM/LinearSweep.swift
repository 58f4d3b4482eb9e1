import Core
import Foundation
import NN

/// A parameter a sweep can vary, named as its flag.
public enum SweepKey: String, CaseIterable, Codable, Sendable {
  case dz, da, sigma, chi, kappa, labelFraction = "label-fraction", clean, steps, lr, batch

  var isInteger: Bool { self == .dz || self == .da || self == .steps || self == .batch }

  /// Sets this parameter of `config` to `value`.
  public func apply(_ value: Double, to config: inout LinearConfig) {
    switch self {
    case .dz: config.latentDim = Int(value)
    case .da: config.actionDim = Int(value)
    case .sigma: config.sigma = value
    case .chi: config.chi = value
    case .kappa: config.kappa = value
    case .labelFraction: config.labelFraction = value
    case .clean: config.cleanFraction = value
    case .steps: config.steps = Int(value)
    case .lr: config.learningRate = value
    case .batch: config.batchSize = Int(value)
    }
  }

  /// This parameter's value in `config`.
  public func value(in config: LinearConfig) -> Double {
    switch self {
    case .dz: return Double(config.latentDim)
    case .da: return Double(config.actionDim)
    case .sigma: return config.sigma
    case .chi: return config.chi
    case .kappa: return config.kappa
    case .labelFraction: return config.labelFraction
    case .clean: return config.cleanFraction
    case .steps: return Double(config.steps)
    case .lr: return config.learningRate
    case .batch: return Double(config.batchSize)
    }
  }
}

/// One swept parameter and its values.
public struct SweepAxis: Equatable, Sendable {
  public var key: SweepKey
  public var values: [Double]

  public init(key: SweepKey, values: [Double]) {
    self.key = key
    self.values = values
  }

  /// Parses `KEY=LO..HI` (integers, inclusive), `KEY=LO..HI:STEP` or `KEY=V1,V2,...`.
  public init(parsing spec: String) throws {
    let field = "--sweep \(spec)"
    let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
    let keys = SweepKey.allCases.map(\.rawValue).joined(separator: ", ")
    guard parts.count == 2, let key = SweepKey(rawValue: parts[0]) else {
      throw LamError("\(field): expected KEY=LO..HI or KEY=V1,V2,... with KEY one of \(keys)")
    }
    let body = parts[1]
    var values: [Double] = []
    if body.contains("..") {
      let rangeAndStep = body.split(separator: ":", maxSplits: 1).map(String.init)
      let ends = rangeAndStep[0].components(separatedBy: "..")
      guard ends.count == 2, let lo = Int(ends[0]), let hi = Int(ends[1]), lo <= hi else {
        throw LamError("\(field): expected LO..HI with integers LO <= HI")
      }
      let step = rangeAndStep.count == 2 ? Int(rangeAndStep[1]) : 1
      guard let step, step >= 1 else { throw LamError("\(field): expected a step that is an integer >= 1") }
      values = stride(from: lo, through: hi, by: step).map(Double.init)
    } else {
      for item in body.split(separator: ",", omittingEmptySubsequences: false) {
        guard let x = Double(item), x.isFinite else {
          throw LamError("\(field): '\(item)' is not a number")
        }
        values.append(x)
      }
    }
    if key.isInteger, let bad = values.first(where: { $0 != $0.rounded() }) {
      throw LamError("\(field): \(key.rawValue) takes integers, got \(formatNumber(bad))")
    }
    self.key = key
    self.values = values
  }
}

/// Every combination of settings x axis values x seeds on top of `base` (settings outermost,
/// seeds innermost), each validated.
public func expandGrid(base: LinearConfig, settings: [NoiseSetting], axes: [SweepAxis], seeds: [UInt64]) throws -> [LinearConfig] {
  var configs: [LinearConfig] = []
  for setting in settings {
    var partial = [base]
    partial[0].setting = setting
    for axis in axes {
      partial = partial.flatMap { config in
        axis.values.map { value in
          var c = config
          axis.key.apply(value, to: &c)
          return c
        }
      }
    }
    for config in partial {
      for seed in seeds {
        var c = config
        c.seed = seed
        configs.append(c)
      }
    }
  }
  for c in configs { try c.validate() }
  return configs
}

/// Progress of a batch of runs, reported after each run completes.
public struct LinearBatchProgress {
  public let done: Int
  public let total: Int
  public let index: Int
  public let result: LinearResult
  public let seconds: Double
}

/// Runs `configs` on up to `threads` threads, one run per thread at a time, and returns the results
/// in `configs` order. Each run has its own seeded generators and single-threaded BLAS calls, so
/// the results do not depend on `threads`. BLAS stays single-threaded afterwards (see `runLinearLAM`). `progress` is called serially after each run.
public func runLinearBatch(
  _ configs: [LinearConfig], threads: Int, lossEvery: Int = 100,
  progress: (LinearBatchProgress) -> Void = { _ in }
) throws -> [LinearResult] {
  for c in configs { try c.validate() }
  BLASThreads.set(1)
  let lock = NSLock()
  var results = [LinearResult?](repeating: nil, count: configs.count)
  var nextIndex = 0
  var done = 0
  var failure: Error? = nil
  let workers = max(1, min(threads, configs.count))
  DispatchQueue.concurrentPerform(iterations: workers) { _ in
    while true {
      lock.lock()
      let index = nextIndex
      nextIndex += 1
      let stop = failure != nil
      lock.unlock()
      if stop || index >= configs.count { return }
      let start = Date()
      do {
        let result = try runLinearLAM(configs[index], lossEvery: lossEvery)
        let seconds = Date().timeIntervalSince(start)
        lock.lock()
        results[index] = result
        done += 1
        progress(LinearBatchProgress(done: done, total: configs.count, index: index, result: result, seconds: seconds))
        lock.unlock()
      } catch {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
      }
    }
  }
  if let failure { throw failure }
  return results.map { $0! }
}
