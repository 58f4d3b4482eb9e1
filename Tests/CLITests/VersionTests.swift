import Foundation
import Testing
import TestSupport

@Test func versionFlagPrintsTheVersion() throws {
  let result = try runLam(["--version"])
  #expect(result.status == 0)
  #expect(result.stdout == "0.1.0\n")
}

@Test func helpListsTheToolsPurpose() throws {
  let result = try runLam(["--help"])
  #expect(result.status == 0)
  #expect(result.stdout.contains("train latent action models"))
}
