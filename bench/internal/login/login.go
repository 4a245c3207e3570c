// Package login gets a session token for the benchmarks' clients, the way
// the app does: POST /api/v1/auth/login.
package login

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// Token logs username in on the server at base and returns its bearer token.
func Token(base, username, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login: %s %v", res.Status, err)
	}
	return out.Token, nil
}
