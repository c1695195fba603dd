"""What ``tools/train.py`` prints while training the demo: what helps a
user, not a line per parameter or the whole config."""
import glob
import os.path as osp


def test_demo_training_log_is_short(demo_config, run_tool, tmp_path, capsys):
    work_dir = str(tmp_path)
    # num_workers=0 with persistent workers once stopped on torch's
    # ValueError.
    run_tool(
        'train', [demo_config, '--work-dir', work_dir],
        cfg_options=[
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=True'
        ])
    printed = capsys.readouterr().out
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    assert 'paramwise_options' not in printed
    assert 'requires_grad=False' not in printed
    summaries = [
        line for line in printed.splitlines()
        if ' - Optimizer: SGD, base lr=' in line
    ]
    assert len(summaries) == 1
    assert ' in 2 settings: ' in summaries[0]
    # The config: one line on the terminal, in full in the log file.
    config_lines = [
        line for line in printed.splitlines() if ' - Config: ' in line
    ]
    assert len(config_lines) == 1
    assert f'written to {work_dir}' in config_lines[0]
    assert 'relation_head = ' not in printed and 'relation_head=' not in \
        printed
    logs = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert len(logs) == 1
    with open(logs[0]) as f:
        logged = f.read()
    assert 'Config:\n' in logged and 'relation_head=dict(' in logged
