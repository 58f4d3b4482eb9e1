import Core
import Foundation

/// The run's TensorBoard event files in RUN/tb/, appended and flushed with every metrics.jsonl line.
///
/// Each training session (the first, then each resume) writes its own file. A resume from step S first
/// trims the earlier files to steps <= S, as metrics.jsonl is trimmed, so no reader sees a step twice;
/// its file opens with a session-start event at S + 1, which makes an already running TensorBoard drop
/// the points it holds past S.
final class EventLog {
  private let handle: FileHandle

  init(runDir: String, keepingStepsUpTo step: Int) throws {
    let dir = runDir + "/" + EventFile.folder
    let fm = FileManager.default
    do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
      throw LamError("\(dir): cannot create the TensorBoard folder")
    }
    let names = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains("tfevents") }.sorted()
    var session = 0
    for name in names {
      let path = dir + "/" + name
      // events.out.tfevents.NNNNNN.lam: the next session gets the next number (another writer's names don't count).
      if name.hasSuffix(".lam"), let number = Int(name.split(separator: ".").dropFirst(3).first ?? ""), (0..<999_999).contains(number) {
        session = max(session, number + 1)
      }
      let (events, bytes, complete) = try EventFile.read(path)
      let kept = events.filter { $0.event.step <= step }
      if kept.count == events.count && complete { continue }
      if !kept.contains(where: { !$0.event.scalars.isEmpty }) {
        try? fm.removeItem(atPath: path)
        continue
      }
      try Files.writeAtomically(Data(kept.flatMap { bytes[$0.record] }), to: path)
    }
    let path = dir + "/" + EventFile.fileName(session: session)
    let now = Date().timeIntervalSince1970
    var start = EventFile.record(EventFile.encode(.init(wallTime: now, step: 0, fileVersion: "brain.Event:2")))
    if step > 0 { start += EventFile.record(EventFile.encode(.init(wallTime: now, step: step + 1, sessionStart: true))) }
    try Files.writeAtomically(Data(start), to: path)
    guard let handle = FileHandle(forWritingAtPath: path) else { throw LamError("\(path): cannot open for appending") }
    handle.seekToEndOfFile()
    self.handle = handle
  }

  deinit { try? handle.close() }

  /// Writes the record's scalars at its step (an unbuffered write: readers see it at once).
  func append(_ record: MetricsRecord) {
    let event = EventFile.Event(wallTime: Date().timeIntervalSince1970, step: record.step, scalars: EventFile.scalars(record))
    handle.write(Data(EventFile.record(EventFile.encode(event))))
  }
}
