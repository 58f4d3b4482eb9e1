import Foundation
import NN
import Testing
import TestSupport

@Test func mseIsTheMeanOfSquaredDifferencesWithGradientTwoDiffOverCount() {
  let p = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
  let t = Tensor(shape: [2, 2], values: [1, 0, 0, 8])
  let loss = MSELoss()
  // (0 + 4 + 9 + 16) / 4
  #expect(loss.forward(p, t) == 7.25)
  #expect(loss.backward().array == [0, 1, 1.5, -2])
}

@Test("a large mean squared error is summed in blocks, shared between threads, to the same bits as one Double sum",
      arguments: [1, 2, 3])
func largeMSEIsTheSameForEveryThreadCount(threads: Int) {
  let before = BLASThreads.count
  defer { BLASThreads.set(before) }
  BLASThreads.set(threads)
  // 5 blocks of 4,096 and 13 more: above the split threshold, a last block short and not a multiple of 8.
  let n = 5 * 4096 + 13
  let pv = (0..<n).map { Float($0 % 97) / 97 }, tv = (0..<n).map { Float($0 % 31) / 31 }
  var sum = 0.0
  for i in 0..<n { sum += Double((pv[i] - tv[i]) * (pv[i] - tv[i])) }
  let loss = MSELoss()
  #expect(loss.forward(Tensor(shape: [n], values: pv), Tensor(shape: [n], values: tv)) == Float(sum / Double(n)))
  #expect(loss.backward().array == (0..<n).map { 2 / Float(n) * (pv[$0] - tv[$0]) })
}

@Test func crossEntropyMatchesLogSoftmaxByHand() {
  let logits = Tensor(shape: [2, 3], values: [1, 2, 3, 0, 0, 0])
  let ce = CrossEntropyLoss()
  let loss = ce.forward(logits, targets: [2, 0])
  let row0 = -(3 - log(exp(1.0) + exp(2.0) + exp(3.0)))
  let row1 = log(3.0)
  #expect(isClose(Double(loss), (row0 + row1) / 2, relative: 1e-6))
  // Row 1 is uniform: gradient (1/3 - onehot) / 2.
  let d = ce.backward().array
  #expect(isClose(d[3], (1.0 / 3 - 1) / 2, relative: 1e-6))
  #expect(isClose(d[4], 1.0 / 6, relative: 1e-6))
}

@Test func crossEntropyMaskAveragesOverLabelledRowsOnly() {
  let logits = Tensor(shape: [3, 2], values: [0, 0, 5, -5, 0, 0])
  let ce = CrossEntropyLoss()
  let loss = ce.forward(logits, targets: [0, 1, 1], mask: [true, false, true])
  #expect(isClose(Double(loss), log(2.0), relative: 1e-6))
  let d = ce.backward().array
  #expect(d[2] == 0 && d[3] == 0)  // the unlabelled row gets no gradient
  #expect(isClose(d[0], -0.25, relative: 1e-6))  // (0.5 - 1) / 2 labelled rows
}

@Test func crossEntropyWithNoLabelledRowIsZero() {
  let logits = Tensor(shape: [1, 2], values: [3, -1])
  let ce = CrossEntropyLoss()
  #expect(ce.forward(logits, targets: [0], mask: [false]) == 0)
  #expect(ce.backward().array == [0, 0])
}

@Test func crossEntropyIsStableForHugeLogits() {
  let logits = Tensor(shape: [1, 2], values: [1000, -1000])
  let ce = CrossEntropyLoss()
  #expect(ce.forward(logits, targets: [1]) == 2000)
}
