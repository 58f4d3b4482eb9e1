/// A user-facing error: one line that names the file, field and what was expected.
///
/// Library code throws it; the CLI prints `error: <description>` and exits non-zero. The description is
/// the message with line breaks and other control characters escaped, so text quoted from a hostile file
/// cannot spread an error over several lines.
public struct LamError: Error, CustomStringConvertible, Equatable, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { JSON.oneLine(message) }
}
