// Build-tool plugin: embeds the repository's openapi.yaml and the web pages' files (Web/)
// into the Service module, so the binary serves its API description and its pages wherever
// it runs, with no file beside it.
import Foundation
import PackagePlugin

@main
struct EmbedOpenAPI: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let tool = try context.tool(named: "embed-file").url
        let openAPI = context.package.directoryURL.appending(path: "openapi.yaml")
        let openAPIOutput = context.pluginWorkDirectoryURL.appending(path: "EmbeddedOpenAPI.swift")
        let web = context.package.directoryURL.appending(path: "Web")
        let webOutput = context.pluginWorkDirectoryURL.appending(path: "EmbeddedWeb.swift")
        var webFiles: [URL] = []
        if let walker = FileManager.default.enumerator(at: web, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                webFiles.append(url)
            }
        }
        return [
            .buildCommand(
                displayName: "Embedding openapi.yaml",
                executable: tool,
                arguments: [openAPI.path, openAPIOutput.path, "embeddedOpenAPIDocument"],
                inputFiles: [openAPI],
                outputFiles: [openAPIOutput]
            ),
            .buildCommand(
                displayName: "Embedding Web/",
                executable: tool,
                arguments: ["--folder", web.path, webOutput.path, "embeddedWebFiles"] + webFiles.map(\.path),
                inputFiles: webFiles,
                outputFiles: [webOutput]
            ),
        ]
    }
}
