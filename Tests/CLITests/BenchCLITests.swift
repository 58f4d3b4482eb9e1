import Foundation
import Testing
import TestSupport

// Smoke tests only: tiny timing windows, so the numbers are not benchmarks.

private func jsonLines(_ stdout: String) throws -> [[String: Any]] {
  try stdout.split(separator: "\n").map {
    try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
  }
}

@Test func benchJSONHasOneLinePerThreadCountWithTheRequiredFields() throws {
  let result = try runLam(["bench", "--workload", "mlp", "--threads", "1,2", "--seconds", "0.2", "--warmup", "3", "--json"])
  #expect(result.status == 0, "\(result.stderr)")
  let lines = try jsonLines(result.stdout)
  #expect(lines.count == 2)
  #expect(lines.map { $0["threads"] as? Int } == [1, 2])
  for line in lines {
    #expect(line["workload"] as? String == "mlp")
    for key in ["samples_per_s", "gflops", "peak_gflops", "peak_fraction", "samples_per_s_min", "samples_per_s_max"] {
      let value = try #require(line[key] as? Double, "\(key)")
      #expect(value > 0, "\(key)")
    }
    let rate = line["samples_per_s"] as! Double, flops = line["flops_per_sample"] as! Double
    #expect(isClose(line["gflops"] as! Double, rate * flops / 1e9, relative: 1e-9))
    #expect(isClose(line["peak_fraction"] as! Double, (line["gflops"] as! Double) / (line["peak_gflops"] as! Double), relative: 1e-9))
  }
}

@Test func benchMLPCountsSixFLOPsPerMultiplyAddOfEveryLinearLayerButTheInputGradientOfTheIDMsFirst() throws {
  let result = try runLam(["bench", "--workload", "mlp", "--threads", "1", "--seconds", "0.1", "--warmup", "1", "--json"])
  #expect(result.status == 0, "\(result.stderr)")
  // IDM: 32->128->128->4; FDM: (16 + 4)->128->128->16. Forward 2 FLOPs per MAC, backward twice that,
  // except that the IDM's first layer reads frames and skips its input gradient.
  let idm = 32 * 128 + 128 * 128 + 128 * 4
  let fdm = 20 * 128 + 128 * 128 + 128 * 16
  let line = try #require(try jsonLines(result.stdout).first)
  #expect(line["flops_per_sample"] as? Int == 2 * (3 * (idm + fdm) - 32 * 128))
}

@Test func benchConvCountsTheConvolutionsFromTheirShapes() throws {
  let result = try runLam(["bench", "--workload", "conv", "--threads", "1", "--seconds", "0.1", "--windows", "1",
                           "--warmup", "0", "--json"])
  #expect(result.status == 0, "\(result.stderr)")
  // MACs per output position of a k4 conv: out * in * 16; a transposed conv: the same per input position.
  let idm = 32 * 6 * 16 * 16 * 16 + 64 * 32 * 16 * 8 * 8 + 128 * 64 * 16 * 4 * 4 + 2048 * 256 + 256 * 8
  let fdm = 32 * 3 * 16 * 16 * 16 + 64 * 32 * 16 * 8 * 8 + 128 * 64 * 16 * 4 * 4 + 8 * 128
    + 256 * 64 * 16 * 4 * 4 + 64 * 32 * 16 * 8 * 8 + 32 * 3 * 16 * 16 * 16
  // The first convolutions of the IDM and of the FDM's encoder read frames and skip their input gradient.
  let firstConvs = 32 * 6 * 16 * 16 * 16 + 32 * 3 * 16 * 16 * 16
  let line = try #require(try jsonLines(result.stdout).first)
  #expect(line["flops_per_sample"] as? Int == 2 * (3 * (idm + fdm) - firstConvs))
}

@Test func benchGivesIdenticalLossesForTheSameThreadCountAndCloseOnesAcrossCounts() throws {
  var losses: [Double] = []
  for threads in ["1", "1", "2"] {
    let result = try runLam(["bench", "--workload", "mlp", "--threads", threads, "--warmup", "5", "--steps", "10"])
    #expect(result.status == 0, "\(result.stderr)")
    let text = try #require(result.stdout.split(separator: " ").last)
    losses.append(try #require(Double(text.trimmingCharacters(in: .whitespacesAndNewlines))))
  }
  #expect(losses[0] == losses[1])
  #expect(isClose(losses[0], losses[2], relative: 1e-4))
}

@Test func benchProfileListsEveryPhaseAndLayer() throws {
  let result = try runLam(["bench", "--workload", "mlp", "--threads", "1", "--warmup", "1", "--profile"])
  #expect(result.status == 0, "\(result.stderr)")
  for text in ["ms per step", "forward", "backward", "optimizer", "idm.fc1", "fdm.fc3", "adam", "%"] {
    #expect(result.stdout.contains(text), "\(text)")
  }
}

@Test func benchRejectsAnUnknownWorkloadInOneLine() throws {
  let result = try runLam(["bench", "--workload", "resnet", "--seconds", "0.1"])
  #expect(result.status != 0)
  #expect(result.stderr.contains("--workload: expected conv, mlp or all, got 'resnet'"))
}

@Test func benchTimesOneThreadUpToTheCoresByDefaultAndPrintsAScalingTable() throws {
  let json = try runLam(["bench", "--workload", "mlp", "--seconds", "0.05", "--windows", "1", "--warmup", "1", "--json"])
  #expect(json.status == 0, "\(json.stderr)")
  let counts = try jsonLines(json.stdout).compactMap { $0["threads"] as? Int }
  // This process's cores, as lam counts them: its affinity mask, at most the active processors.
  let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
  let mask = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed:") })
  let allowed = mask.dropFirst("Cpus_allowed:".count).filter(\.isHexDigit).reduce(0) { $0 + Int(String($1), radix: 16)!.nonzeroBitCount }
  #expect(counts == Array(1...min(allowed, ProcessInfo.processInfo.activeProcessorCount)))

  let text = try runLam(["bench", "--workload", "mlp", "--threads", "1,3", "--seconds", "0.05", "--windows", "1", "--warmup", "1"])
  #expect(text.status == 0, "\(text.stderr)")
  let lines = text.stdout.split(separator: "\n").map(String.init)
  let header = try #require(lines.firstIndex { $0.hasPrefix("mlp scaling on this machine (") })
  #expect(lines[header + 1] == "  threads  samples/s  speed-up  efficiency  of sgemm peak")
  #expect(lines[header + 2].hasPrefix("        1 ") && lines[header + 2].contains("1.00x") && lines[header + 2].contains("100%"))
  #expect(lines[header + 3].hasPrefix("        3 "))
}
