/** The dashboard's grid width, in units: widgets must fit in it. @internal */
export const _GRID_WIDTH = 24;
