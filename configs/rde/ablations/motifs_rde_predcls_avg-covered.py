# Per-pair RDE losses averaged over the pairs each covers (plain means), not
# divided by the head's sampled pairs.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(avg_over='covered')))
