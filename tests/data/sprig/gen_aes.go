// gen_aes.go prints decryptAES test vectors: Sprig's encryptAES format (base64 of IV ||
// AES-256-CBC of the PKCS#7-padded plaintext, key = password zero-padded/cut to 32
// bytes) made with Go's crypto/aes and a fixed IV.  Run: go run gen_aes.go
package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
)

// Sprig's encryptAES format with a fixed IV, to produce known vectors.
func enc(password, plaintext string, iv []byte) string {
	key := make([]byte, 32)
	copy(key, []byte(password))
	block, _ := aes.NewCipher(key)
	content := []byte(plaintext)
	padding := block.BlockSize() - len(content)%block.BlockSize()
	content = append(content, bytes.Repeat([]byte{byte(padding)}, padding)...)
	out := make([]byte, aes.BlockSize+len(content))
	copy(out, iv)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out[aes.BlockSize:], content)
	return base64.StdEncoding.EncodeToString(out)
}

func main() {
	iv := []byte("0123456789abcdef")
	for _, c := range [][2]string{{"secretkey", "plaintext"}, {"", "x"}, {"a-very-long-password-longer-than-32-bytes!!", "sixteen bytes!!!"}, {"pw", "héllo wörld\n"}} {
		fmt.Printf("decryptAES\t[%q, %q]\t%q\n", c[0], enc(c[0], c[1], iv), c[1])
	}
}
