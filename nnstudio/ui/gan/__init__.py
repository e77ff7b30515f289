"""The window's side of GANs: the GAN training settings (``settings``), the live sample
grid with its epoch stepper and the D/G charts (``samples_view``), and the link that keeps
the canvas's Generator/Discriminator frames and the roles in step with the project
(``link``).  Nothing here imports Keras at module level."""
