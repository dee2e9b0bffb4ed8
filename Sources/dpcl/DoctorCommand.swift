// `dpcl doctor`: the first thing to run when an installation misbehaves.
import ArgumentParser
import Diagnostics

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that every system library links and works; exit 1 if one does not."
    )

    func run() throws {
        let checks = Doctor.runAll()
        for check in checks { print(check.line) }
        let failed = checks.filter { !$0.passed }
        if !failed.isEmpty {
            print("doctor: \(failed.count) of \(checks.count) checks failed: "
                  + failed.map(\.library).joined(separator: ", "))
            throw ExitCode(1)
        }
    }
}
