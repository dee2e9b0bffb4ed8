// The `dpcl` command line: one subcommand per job of the service.
import ArgumentParser

@main
struct DPCL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpcl",
        abstract: "Multi-instance semantic correspondence: the DPCL matcher and its benchmark service.",
        subcommands: [
            ServeCommand.self, MatchCommand.self, DoctorCommand.self, EvalCommand.self, EmbedCommand.self,
            MasksCommand.self, BenchCommand.self, LeaderboardCommand.self, PairsCommand.self, PredictionsCommand.self, ProposeCommand.self,
        ]
    )
}
