import Foundation

/// The images a self-contained page embeds: every `data:image/png;base64,` URI of `html`, decoded (nil where
/// the base64 does not decode).
public func embeddedImages(in html: String) -> [Data?] {
  let marker = "src=\"data:image/png;base64,"
  return html.components(separatedBy: marker).dropFirst().map { rest in
    Data(base64Encoded: String(rest.prefix { $0 != "\"" }))
  }
}

/// Whether `data` starts with the PNG signature.
public func isPNG(_ data: Data?) -> Bool {
  data.map { $0.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) } ?? false
}

/// Every `href="..."` and `src="..."` of `html` that is not a data URI: what a self-contained page may hold
/// only as relative links.
public func references(in html: String) -> [String] {
  ["href=\"", "src=\""].flatMap { marker in
    html.components(separatedBy: marker).dropFirst().map { String($0.prefix { $0 != "\"" }) }
  }.filter { !$0.hasPrefix("data:") }
}
