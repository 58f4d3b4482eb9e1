import Core
import Foundation
import GridWorld
import Testing
import TestSupport
import Training

// TensorBoard event files (docs/training.md): the bytes TensorBoard's own protobuf code writes, and
// curves that hold every metrics.jsonl line once, while training runs and across resumes.

@Test func crc32cAndItsMaskMatchTheCastagnoliCheckValueAndTensorBoardsMask() {
  let digits = Array("123456789".utf8)
  #expect(EventFile.crc32c(digits) == 0xE306_9283)
  #expect(EventFile.maskedCRC(digits) == 3_347_755_237)
}

@Test func eventsEncodeToTheBytesOfTensorBoardsProtobufMessages() {
  let scalar = EventFile.Event(wallTime: 1.5, step: 300, scalars: [("train/loss", 0.25)])
  #expect(EventFile.encode(scalar) == [9, 0, 0, 0, 0, 0, 0, 248, 63, 16, 172, 2, 42, 19, 10, 17, 10, 10, 116, 114, 97,
                                       105, 110, 47, 108, 111, 115, 115, 21, 0, 0, 128, 62])
  let start = EventFile.Event(wallTime: 2, step: 41, sessionStart: true)
  #expect(EventFile.encode(start) == [9, 0, 0, 0, 0, 0, 0, 0, 64, 16, 41, 58, 2, 8, 1])
}

@Test func aRecordIsFramedWithItsLengthAndBothMaskedChecksums() {
  let record = EventFile.record([1, 2, 3])
  #expect(record.count == 8 + 4 + 3 + 4)
  #expect(Array(record[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
  #expect(Array(record[12..<15]) == [1, 2, 3])
}

private func eventFiles(_ run: String) -> [String] {
  let dir = run + "/" + EventFile.folder
  return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
}

/// Every scalar event of the run's files, in file order: (step, tag, value).
private func scalarPoints(_ run: String) throws -> [(step: Int, tag: String, value: Float)] {
  try eventFiles(run).flatMap { path in
    let (events, _, complete) = try EventFile.read(path)
    #expect(complete, "\(path) ends in a torn record")
    return events.flatMap { e in e.event.scalars.map { (e.event.step, $0.tag, $0.value) } }
  }
}

private func metricsLines(_ run: String) throws -> [MetricsRecord] {
  let text = try String(contentsOfFile: run + "/" + TrainingRun.metricsFile, encoding: .utf8)
  return try text.split(separator: "\n").map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0.utf8)) }
}

private func expectCurvesEqualMetrics(_ run: String) throws {
  let points = try scalarPoints(run)
  let expected: [(step: Int, tag: String, value: Float)] =
    try metricsLines(run).flatMap { r in EventFile.scalars(r).map { (r.step, $0.tag, $0.value) } }
  #expect(points.map(\.step) == expected.map(\.step))
  #expect(points.map(\.tag) == expected.map(\.tag))
  #expect(points.map(\.value) == expected.map(\.value))
}

private func smallConfig() -> RunConfig {
  var config = RunConfig()
  config.model.hidden = 16
  config.model.bottleneck.kind = .vq
  config.train.steps = 40
  config.train.batch = 8
  config.train.logEvery = 5
  config.train.evalEvery = 10
  config.train.checkpointEvery = 10
  config.train.valFraction = 0.2
  return config
}

/// A new run folder (in a new temporary folder, beside its dataset) and its trainer at step 0.
private func newRun(name: String = #function) throws -> (root: String, run: String, trainer: Trainer) {
  let root = makeTemporaryFolder(name)
  let data = try Dataset.generate(config: EnvironmentConfig(), episodes: 6, steps: 5, seed: 3, threads: 1)
  try data.write(to: root + "/ds")
  let trainer = try TrainingRun.start(root + "/run", config: smallConfig(), dataPath: root + "/ds", force: false)
  return (root, root + "/run", trainer)
}

@Test func theEventFilesHoldEveryMetricsLineWhileTrainingRunsAndAfterAResume() throws {
  let (_, run, trainer) = try newRun()
  var seenWhileTraining: [Int] = []
  _ = try TrainingRun.run(trainer, in: run, onEvent: { event in
    // Read back after each logged step: the files already hold it.
    if event.step == 15 { seenWhileTraining = (try? scalarPoints(run))?.map(\.step) ?? [] }
  }, shouldStop: { trainer.step >= 23 })
  FolderLock.unlock(run)
  #expect(Set(seenWhileTraining) == [5, 10, 15])
  #expect(try scalarPoints(run).filter { $0.tag == "vq/codes_used" }.map(\.step) == [5, 10, 15, 20])
  #expect(try scalarPoints(run).filter { $0.tag == "val/recon" }.map(\.step) == [10, 20])
  #expect(try scalarPoints(run).filter { $0.tag == "train/lr" }.allSatisfy { $0.value == 1e-3 })

  // Stopped (and checkpointed) at 23: resume to the end.
  let resumed = try TrainingRun.resume(run)
  _ = try TrainingRun.run(resumed, in: run)
  FolderLock.unlock(run)
  #expect(eventFiles(run).count == 2)
  try expectCurvesEqualMetrics(run)
  #expect(try scalarPoints(run).filter { $0.tag == "train/loss" }.map(\.step) == [5, 10, 15, 20, 25, 30, 35, 40])
}

@Test func aResumeTrimsPointsLoggedAfterTheCheckpointAndATornLastRecord() throws {
  let (root, run, trainer) = try newRun()
  _ = try TrainingRun.run(trainer, in: run, shouldStop: { trainer.step >= 20 })
  FolderLock.unlock(run)
  // Keep the checkpoint of step 20, go on to 27 (logging 25), then put it back: a process killed at 27.
  let pair = [Checkpoint.modelFile, Checkpoint.stateFile]
  for f in pair { try FileManager.default.copyItem(atPath: run + "/" + f, toPath: root + "/" + f) }
  let going = try TrainingRun.resume(run)
  _ = try TrainingRun.run(going, in: run, shouldStop: { going.step >= 27 })
  FolderLock.unlock(run)
  for f in pair {
    try FileManager.default.removeItem(atPath: run + "/" + f)
    try FileManager.default.copyItem(atPath: root + "/" + f, toPath: run + "/" + f)
  }
  #expect(try scalarPoints(run).map(\.step).max() == 25)
  // And a half-written record at the end of the newest file.
  let last = eventFiles(run).last!
  let torn = FileHandle(forWritingAtPath: last)!
  torn.seekToEndOfFile()
  torn.write(Data(EventFile.record(EventFile.encode(.init(wallTime: 1, step: 26, scalars: [("train/loss", 1)]))).prefix(20)))
  try torn.close()
  #expect(try !EventFile.read(last).complete)

  let resumed = try TrainingRun.resume(run)
  #expect(resumed.step == 20)
  _ = try TrainingRun.run(resumed, in: run)
  FolderLock.unlock(run)
  try expectCurvesEqualMetrics(run)
  let newest = try EventFile.read(eventFiles(run).last!).events.map(\.event)
  #expect(newest[1].sessionStart && newest[1].step == 21)
}

@Test func aDamagedEventFileIsCutAtTheDamageOnResumeAndTrainingGoesOn() throws {
  let (_, run, trainer) = try newRun()
  _ = try TrainingRun.run(trainer, in: run, shouldStop: { trainer.step >= 20 })
  FolderLock.unlock(run)
  // Flip a byte inside the third record (the second scalar event, step 10): records from there on are lost.
  let first = eventFiles(run)[0]
  let (events, bytes, _) = try EventFile.read(first)
  var damaged = bytes
  damaged[events[2].record.lowerBound + 20] ^= 0xFF
  try Data(damaged).write(to: URL(fileURLWithPath: first))
  #expect(try !EventFile.read(first).complete)

  let resumed = try TrainingRun.resume(run)
  _ = try TrainingRun.run(resumed, in: run)
  FolderLock.unlock(run)
  #expect(try EventFile.read(first).complete)
  let steps = try scalarPoints(run).filter { $0.tag == "train/loss" }.map(\.step)
  #expect(steps == [5, 25, 30, 35, 40])
}
