import Foundation
import Imaging
import Reports
import Testing
import TestSupport

@Test("escaping replaces every character that could start markup or end an attribute")
func escapingReplacesMarkupCharacters() {
  #expect(HTMLPage.escape(#"<b class="x">Tom & Jerry's</b>"#)
          == "&lt;b class=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;")
  #expect(HTMLPage.escape("plain text, 4x4") == "plain text, 4x4")
  // Backticks mark code; an unpaired one stays as it is.
  #expect(HTMLPage.inline("run `lam probe --run <r>` first") == "run <code>lam probe --run &lt;r&gt;</code> first")
  #expect(HTMLPage.inline("a ` b & c") == "a ` b &amp; c")
  #expect(HTMLPage.relativeURL(["runs", "a b#c?", "index.html"]) == "runs/a%20b%23c%3F/index.html")
}

@Test("a page escapes every text, embeds its picture as a PNG data URI and refers to nothing outside itself")
func pageEscapesTextAndEmbedsPictures() throws {
  var image = Image(width: 3, height: 2, channels: 3, colour: .white)
  image.setPixel(x: 1, y: 1, Colour(200, 10, 20))
  let png = try PNG.encode(image)
  var page = HTMLPage(title: "run <1> & \"2\"")
  page.heading("<script>alert(1)</script>", level: 1)
  page.paragraph("distractor 'red' & <blue>", emphasis: "Verdict:")
  page.table(header: ["name", "link"], rows: [[HTMLPage.Cell("a<b"), HTMLPage.Cell("report", link: "runs/a/report/index.html")],
                                             [HTMLPage.Cell("short row")]])
  page.figure(png: png, name: "dot.png", caption: "one <red> dot")
  page.preformatted(#"{"name": "<x> & y"}"#)
  let html = page.html

  #expect(html.hasPrefix("<!DOCTYPE html>\n"))
  #expect(html.contains("<title>run &lt;1&gt; &amp; &quot;2&quot;</title>"))
  #expect(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>") && !html.contains("<script"))
  #expect(html.contains("<p><strong>Verdict:</strong> distractor &#39;red&#39; &amp; &lt;blue&gt;</p>"))
  #expect(html.contains("<td>a&lt;b</td><td><a href=\"runs/a/report/index.html\">report</a></td>"))
  #expect(html.contains("<tr><td>short row</td><td></td></tr>"))
  #expect(html.contains("<pre>{&quot;name&quot;: &quot;&lt;x&gt; &amp; y&quot;}</pre>"))
  #expect(html.contains("<figcaption><strong>dot.png</strong>: one &lt;red&gt; dot</figcaption>"))
  let images = embeddedImages(in: html)
  #expect(images.count == 1 && isPNG(images[0]))
  let decoded = try PNG.decode(try #require(images[0]), source: "data URI")
  #expect(decoded.width == 3 && decoded.pixel(x: 1, y: 1) == Colour(200, 10, 20))
  #expect(references(in: html) == ["runs/a/report/index.html"])
  #expect(!html.contains("http:") && !html.contains("https:") && !html.contains("url("))
}
