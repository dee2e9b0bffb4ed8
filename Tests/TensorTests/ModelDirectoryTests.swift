// Where weights are looked for, and how the command line names a layer.
import Testing
@testable import Tensor

@Suite struct ModelDirectoryTests {
    @Test func environmentOverridesTheHomeCache() {
        #expect(ModelDirectory.path(environment: ["DPCL_MODEL_DIR": "/srv/models", "HOME": "/home/a"]) == "/srv/models")
        #expect(ModelDirectory.path(environment: ["DPCL_MODEL_DIR": "", "HOME": "/home/a"]) == "/home/a/.cache/dpcl/models")
        #expect(ModelDirectory.path(environment: ["HOME": "/home/b"]) == "/home/b/.cache/dpcl/models")
    }

    @Test func layerArguments() {
        #expect(BackboneLayer(argument: "final") == .final)
        #expect(BackboneLayer(argument: "9") == .block(9))
        #expect(BackboneLayer(argument: "-1") == nil)
        #expect(BackboneLayer(argument: "last") == nil)
        #expect(BackboneLayer.block(3).description == "3" && BackboneLayer.final.description == "final")
    }
}
