// Build-tool plugin: embeds the repository's openapi.yaml into the Service module as a Swift
// string, so the binary serves its API description wherever it runs.
import Foundation
import PackagePlugin

@main
struct EmbedOpenAPI: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "openapi.yaml")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedOpenAPI.swift")
        return [
            .buildCommand(
                displayName: "Embedding openapi.yaml",
                executable: try context.tool(named: "embed-file").url,
                arguments: [input.path, output.path, "embeddedOpenAPIDocument"],
                inputFiles: [input],
                outputFiles: [output]
            )
        ]
    }
}
