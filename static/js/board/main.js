// Entry of the board page: boots the board app on #board-app.
import { boot } from './app.js';

const root = document.getElementById('board-app');
if (root) boot(root);
