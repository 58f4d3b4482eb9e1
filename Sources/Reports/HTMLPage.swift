import Foundation

/// A self-contained HTML page, built as text: every picture is embedded as a `data:image/png;base64` URI, the
/// style sheet is inline and there are no scripts and no external references, so the one file opens offline
/// from disk or as an e-mail attachment. All text is escaped (run and distractor names, paths and configs
/// may hold `<`, `&` or quotes). The report, the sweep and the comparison pages are built with it.
public struct HTMLPage: Sendable {
  /// One table cell: text, or text linking to `link` (a relative URL, see `relativeURL`).
  public struct Cell: Sendable {
    public var text: String
    public var link: String?

    public init(_ text: String, link: String? = nil) {
      self.text = text
      self.link = link
    }
  }

  public var title: String
  /// The body so far, as HTML.
  private var body: [String] = []

  public init(title: String) {
    self.title = title
  }

  /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe inside elements and quoted attributes.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  /// Escaped text in which `code` spans (between backticks, as summary.md writes commands) become <code>.
  public static func inline(_ text: String) -> String {
    let parts = text.split(separator: "`", omittingEmptySubsequences: false)
    guard parts.count >= 3 else { return escape(text) }
    return parts.enumerated().map { i, part in
      // An odd part is inside backticks, unless it is the last of an unpaired one.
      i % 2 == 1 && i < parts.count - 1 ? "<code>" + escape(String(part)) + "</code>"
        : (i % 2 == 1 ? "`" : "") + escape(String(part))
    }.joined()
  }

  /// A relative URL from path components, each percent-encoded (names may hold spaces, `#` or `?`).
  public static func relativeURL(_ components: [String]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return components.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "/")
  }

  /// `<h1>`...`<h6>`.
  public mutating func heading(_ text: String, level: Int = 2) {
    let l = min(max(level, 1), 6)
    body.append("<h\(l)>\(HTMLPage.inline(text))</h\(l)>")
  }

  /// A paragraph of text (`code` spans in backticks).
  public mutating func paragraph(_ text: String, emphasis: String? = nil) {
    let lead = emphasis.map { "<strong>\(HTMLPage.escape($0))</strong> " } ?? ""
    body.append("<p>\(lead)\(HTMLPage.inline(text))</p>")
  }

  /// A table with a header row; rows shorter than the header are padded with empty cells.
  public mutating func table(header: [String], rows: [[Cell]]) {
    // In a scrolling box: a table wider than the page (a sweep with many metrics) scrolls, the page does not.
    var html = ["<div class=\"table\"><table>", "<thead><tr>" + header.map { "<th>\(HTMLPage.inline($0))</th>" }.joined() + "</tr></thead>", "<tbody>"]
    for row in rows {
      let cells = row + Array(repeating: Cell(""), count: max(0, header.count - row.count))
      html.append("<tr>" + cells.map { cell in
        let text = HTMLPage.inline(cell.text)
        return "<td>" + (cell.link.map { "<a href=\"\(HTMLPage.escape($0))\">\(text)</a>" } ?? text) + "</td>"
      }.joined() + "</tr>")
    }
    html += ["</tbody>", "</table></div>"]
    body.append(html.joined(separator: "\n"))
  }

  /// A table of plain text cells.
  public mutating func table(header: [String], rows: [[String]]) {
    table(header: header, rows: rows.map { $0.map { Cell($0) } })
  }

  /// A PNG embedded as a data URI, its file name as the alt text, with a caption under it.
  public mutating func figure(png: Data, name: String, caption: String) {
    var html = "<figure id=\"\(HTMLPage.escape(name))\">"
    html += "<img src=\"data:image/png;base64,\(png.base64EncodedString())\" alt=\"\(HTMLPage.escape(name))\">"
    html += "<figcaption><strong>\(HTMLPage.escape(name))</strong>"
    html += caption.isEmpty ? "" : ": " + HTMLPage.inline(caption)
    body.append(html + "</figcaption></figure>")
  }

  /// Text shown as it is (a config file), escaped.
  public mutating func preformatted(_ text: String) {
    body.append("<pre>\(HTMLPage.escape(text))</pre>")
  }

  /// The whole page: doctype, head with the title and the inline style sheet, body.
  public var html: String {
    ([
      "<!DOCTYPE html>",
      "<html lang=\"en\">",
      "<head>",
      "<meta charset=\"utf-8\">",
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
      "<title>\(HTMLPage.escape(title))</title>",
      "<style>\(HTMLPage.style)</style>",
      "</head>",
      "<body>",
    ] + body + ["</body>", "</html>"]).joined(separator: "\n") + "\n"
  }

  /// Readable on screen and printed; pictures shrink to fit a narrow window and are never enlarged.
  static let style = """
    body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;\
    padding:0 1em;color:#222;line-height:1.45}\
    h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\
    div.table{overflow-x:auto;margin:1em 0}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;\
    vertical-align:top}th{background:#f3f3f3}tbody tr:nth-child(even){background:#fafafa}\
    figure{margin:1.5em 0}img{max-width:100%;height:auto;border:1px solid #eee}\
    figcaption{font-size:.92em;color:#444;margin-top:.3em}\
    pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:.85em}code{background:#f3f3f3;padding:0 .2em}
    """
}
