// go_sprig_peer.go checks rmk's Sprig output with Go's own crypto, the code Sprig uses:
//
//	go run go_sprig_peer.go aes-decrypt PASSWORD BASE64   -> prints the plaintext
//	go run go_sprig_peer.go cert CA.pem CERT.pem KEY.pem  -> parses and verifies with crypto/x509
//	go run go_sprig_peer.go key KEY.pem                   -> parses as Sprig's parsePrivateKeyPEM does
//
// Standard library only (no modules), so it runs offline.
package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
)

func die(f string, a ...interface{}) { fmt.Fprintf(os.Stderr, f+"\n", a...); os.Exit(1) }

func read(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		die("%v", err)
	}
	return b
}

// Sprig's decryptAES algorithm.
func aesDecrypt(password, b64 string) string {
	key := make([]byte, 32)
	copy(key, []byte(password))
	crypt, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		die("%v", err)
	}
	block, _ := aes.NewCipher(key)
	iv, crypt := crypt[:aes.BlockSize], crypt[aes.BlockSize:]
	out := make([]byte, len(crypt))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, crypt)
	return string(out[:len(out)-int(out[len(out)-1])])
}

type dsaKey struct {
	Version       int
	P, Q, G, Y, X *big.Int
}

func parseKey(data []byte) string {
	block, _ := pem.Decode(data)
	if block == nil {
		die("no PEM data")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			die("PKCS#8: %v", err)
		}
		return fmt.Sprintf("%T", k)
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			die("PKCS#1: %v", err)
		}
		if err := k.Validate(); err != nil {
			die("RSA: %v", err)
		}
		return fmt.Sprintf("%T %d", k, k.N.BitLen())
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			die("EC: %v", err)
		}
		return fmt.Sprintf("%T %s", k, k.Curve.Params().Name)
	case "DSA PRIVATE KEY":
		var k dsaKey
		if _, err := asn1.Unmarshal(block.Bytes, &k); err != nil {
			die("DSA: %v", err)
		}
		if new(big.Int).Exp(k.G, k.X, k.P).Cmp(k.Y) != 0 {
			die("DSA: y != g^x mod p")
		}
		return fmt.Sprintf("dsa %d/%d", k.P.BitLen(), k.Q.BitLen())
	}
	die("unknown PEM type %s", block.Type)
	return ""
}

func cert(p string) *x509.Certificate {
	block, _ := pem.Decode(read(p))
	if block == nil || block.Type != "CERTIFICATE" {
		die("%s: no certificate", p)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		die("%s: %v", p, err)
	}
	return c
}

func main() {
	switch os.Args[1] {
	case "aes-decrypt":
		fmt.Print(aesDecrypt(os.Args[2], os.Args[3]))
	case "key":
		fmt.Println(parseKey(read(os.Args[2])))
	case "cert":
		ca, leaf := cert(os.Args[2]), cert(os.Args[3])
		if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
			die("CA is not a CA")
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: leaf.DNSNames[0]}); err != nil {
			die("verify: %v", err)
		}
		ips := []string{}
		for _, ip := range leaf.IPAddresses {
			ips = append(ips, ip.String())
		}
		fmt.Printf("cn=%s ca=%v dns=%s ips=%s key=%s\n", leaf.Subject.CommonName, leaf.IsCA,
			strings.Join(leaf.DNSNames, ","), strings.Join(ips, ","), parseKey(read(os.Args[4])))
	default:
		die("unknown command")
	}
}
