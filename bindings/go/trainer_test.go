package flowbb

import (
	"errors"
	"path/filepath"
	"testing"
)

const trainConfig = `{"batch_size": 4, "init_batch": 4, "warmup_steps": 2,
	"eval_batch": 4, "seed": 5}`

func TestTrainerStepsStopsResumesAndExports(t *testing.T) {
	m := tinyModel(t, 1)
	if _, err := NewTrainer(m, `{"batch_size": 0}`); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("batch size 0: %v", err)
	}
	tr, err := NewTrainer(m, trainConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var images []Image
	for i := 0; i < 6; i++ {
		images = append(images, testImage(8, 8, 3, uint32(i)))
	}
	if err := tr.AddImages(images[:4]); err != nil {
		t.Fatal(err)
	}
	if err := tr.AddTestImages(images[4:]); err != nil {
		t.Fatal(err)
	}
	var seen []uint64
	last, err := tr.Step(3, func(s StepInfo) bool {
		seen = append(seen, s.Step)
		return true
	})
	if err != nil || len(seen) != 3 || last.Step != 3 || last.TrainBPD <= 0 {
		t.Fatalf("3 steps: %v, seen %v, last %+v", err, seen, last)
	}
	calls := 0
	last, err = tr.Step(10, func(StepInfo) bool { calls++; return calls < 2 })
	if !errors.Is(err, StatusCancelled) || calls != 2 || last.Step != 5 || tr.StepsDone() != 5 {
		t.Fatalf("cancelled run: %v after %d calls, last %+v", err, calls, last)
	}
	bpd, err := tr.Evaluate()
	if err != nil || bpd <= 0 {
		t.Fatalf("evaluate: %v, %v", bpd, err)
	}
	path := filepath.Join(t.TempDir(), "t.ckpt")
	if err := tr.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	resumed, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if resumed.StepsDone() != 5 {
		t.Fatalf("resumed at step %d", resumed.StepsDone())
	}
	exported, err := tr.ExportModel()
	if err != nil {
		t.Fatal(err)
	}
	defer exported.Close()
	roundTrip(t, exported, images[4:])
}
