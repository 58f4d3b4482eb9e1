/// A user-facing error: one line that names the file, field and what was expected.
///
/// Library code throws it; the CLI prints `error: <message>` and exits non-zero.
public struct LamError: Error, CustomStringConvertible, Equatable, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
