// Command flowbb-roundtrip compresses a PPM or PGM image into a libflowbb
// archive, reads the archive back, and checks that the decoded image is the
// original, bit for bit.
//
//	flowbb-roundtrip MODEL INPUT.ppm ARCHIVE.fbb OUTPUT.ppm
//
// MODEL is "default" for the model built into the library, a model file, or
// the name of a preset ("tiny", "small") for a model with untrained weights.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"flowbb"
)

func readPNM(path string) (flowbb.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return flowbb.Image{}, err
	}
	// The header is four blank-separated fields; '#' starts a comment that
	// runs to the end of its line. One blank follows the last field.
	var fields []string
	i := 0
	for len(fields) < 4 && i < len(data) {
		switch c := data[i]; {
		case c == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			j := i
			for j < len(data) && !strings.ContainsRune(" \t\n\r#", rune(data[j])) {
				j++
			}
			fields = append(fields, string(data[i:j]))
			i = j
		}
	}
	i++
	c := map[string]int{"P5": 1, "P6": 3}
	if len(fields) < 4 || c[fields[0]] == 0 || fields[3] != "255" {
		return flowbb.Image{}, fmt.Errorf("%s: not a binary PGM/PPM with 8-bit samples", path)
	}
	w, errW := strconv.Atoi(fields[1])
	h, errH := strconv.Atoi(fields[2])
	n := w * h * c[fields[0]]
	if errW != nil || errH != nil || w < 1 || h < 1 || i+n > len(data) {
		return flowbb.Image{}, fmt.Errorf("%s: bad size or truncated pixels", path)
	}
	return flowbb.Image{Width: w, Height: h, Channels: c[fields[0]], Pixels: data[i : i+n]}, nil
}

func writePNM(path string, im flowbb.Image) error {
	magic := "P6"
	if im.Channels == 1 {
		magic = "P5"
	}
	head := fmt.Sprintf("%s\n%d %d\n255\n", magic, im.Width, im.Height)
	return os.WriteFile(path, append([]byte(head), im.Pixels...), 0o644)
}

func openModel(name string) (*flowbb.Model, error) {
	if name == "default" {
		return flowbb.DefaultModel()
	}
	if _, err := os.Stat(name); err == nil {
		return flowbb.LoadModel(name)
	}
	return flowbb.NewModel(name, 0)
}

func run(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("usage: flowbb-roundtrip MODEL INPUT.ppm ARCHIVE OUTPUT.ppm")
	}
	input, err := readPNM(args[1])
	if err != nil {
		return err
	}
	model, err := openModel(args[0])
	if err != nil {
		return err
	}
	defer model.Close()
	coder, err := flowbb.NewCoder(model, nil)
	if err != nil {
		return err
	}
	defer coder.Close()

	archive, stats, err := coder.Compress([]flowbb.Image{input})
	if err != nil {
		return err
	}
	if err := os.WriteFile(args[2], archive, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes, net %.3f bits per dimension (model bound %.3f)\n",
		args[2], len(archive), stats.BPD, stats.ModelBPD)

	stored, err := os.ReadFile(args[2])
	if err != nil {
		return err
	}
	decoded, err := coder.Decompress(stored)
	if err != nil {
		return err
	}
	out := decoded[0]
	if err := writePNM(args[3], out); err != nil {
		return err
	}
	if out.Width != input.Width || out.Height != input.Height ||
		out.Channels != input.Channels || !bytes.Equal(out.Pixels, input.Pixels) {
		return fmt.Errorf("%s differs from %s", args[3], args[1])
	}
	fmt.Printf("%s: identical to %s\n", args[3], args[1])
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
