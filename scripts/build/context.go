package main

import (
	"encoding/json"
	"os"
)

// assetDir is the CDK context's assetDir when cdk runs this script as part of its app command, so
// `cdk synth -c assetDir=X` builds into the folder the stack then reads; "build" otherwise.
// The CLI passes context as JSON in CDK_CONTEXT_JSON and spills what does not fit into a file.
func assetDir(contextJSON, overflowFile string) string {
	for _, raw := range [][]byte{[]byte(contextJSON), readOrNil(overflowFile)} {
		var ctx map[string]any
		if json.Unmarshal(raw, &ctx) != nil {
			continue
		}
		if dir, ok := ctx["assetDir"].(string); ok && dir != "" {
			return dir
		}
	}
	return "build"
}

func readOrNil(path string) []byte {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return b
}
