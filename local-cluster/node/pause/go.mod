module orch.dev/pause

go 1.24
